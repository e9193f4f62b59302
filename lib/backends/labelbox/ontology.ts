import { z } from 'zod';
import { isFrameField, type LabelType, labelTypeSchema } from '../../labels/label-types.js';
import type { AttributeSpec, FieldSchema, LabelSchema } from '../../schema/types.js';

/**
 * A Labelbox ontology as `upsertOntology` takes it (`normalized`, SDK `OntologyBuilder`
 * shape): tools draw objects, global classifications answer questions about the image.
 */
const optionSchema = z.object({
  label: z.string(),
  value: z.string(),
  options: z.array(z.lazy(() => classificationSchema)).optional(),
});
export const classificationSchema: z.ZodType<OntologyClassification> = z.lazy(() =>
  z.object({
    type: z.enum(['radio', 'checklist', 'text']),
    name: z.string(),
    instructions: z.string(),
    required: z.boolean(),
    options: z.array(optionSchema),
    scope: z.enum(['global', 'index']).optional(),
    uiMode: z.enum(['hotkey', 'searchable']).optional(),
  }),
);
export interface OntologyClassification {
  type: 'radio' | 'checklist' | 'text';
  name: string;
  instructions: string;
  required: boolean;
  options: Array<{ label: string; value: string; options?: OntologyClassification[] }>;
  /** `index`: answered per video frame (a frame-level field). */
  scope?: 'global' | 'index';
  /** How a radio or checklist is answered: `searchable` is a search-as-you-type list. */
  uiMode?: 'hotkey' | 'searchable';
}

export const TOOL_KINDS = ['rectangle', 'polygon', 'line', 'point', 'raster-segmentation'] as const;
export type ToolKind = (typeof TOOL_KINDS)[number];

export const ontologySchema = z.object({
  tools: z.array(
    z.object({
      tool: z.enum(TOOL_KINDS),
      name: z.string(),
      required: z.boolean(),
      color: z.string(),
      classifications: z.array(classificationSchema),
    }),
  ),
  classifications: z.array(classificationSchema),
});
export type Ontology = z.infer<typeof ontologySchema>;

/** The required radio that carries an object's class (FiftyOne's `classes_as_attrs` mode). */
export const CLASS_FEATURE = 'class_name';

type Feature = { tool: ToolKind } | { classification: 'radio' | 'checklist' | 'text' };

/**
 * How each label type is drawn. Labelbox knows no "at most one box", so singular and plural
 * types share a tool; the first type listed for a feature kind is its canonical type, and any
 * other type is written into the feature's name (`field (type)`), so the ontology alone says
 * what each field is.
 */
const FEATURE_OF: Record<LabelType, Feature> = {
  detections: { tool: 'rectangle' },
  detection: { tool: 'rectangle' },
  instances: { tool: 'raster-segmentation' },
  instance: { tool: 'raster-segmentation' },
  segmentation: { tool: 'raster-segmentation' },
  polygons: { tool: 'polygon' },
  polygon: { tool: 'polygon' },
  polylines: { tool: 'line' },
  polyline: { tool: 'line' },
  keypoints: { tool: 'point' },
  keypoint: { tool: 'point' },
  classification: { classification: 'radio' },
  classifications: { classification: 'checklist' },
  scalar: { classification: 'text' },
};

const CANONICAL: Record<string, LabelType> = {
  rectangle: 'detections',
  'raster-segmentation': 'instances',
  polygon: 'polygons',
  line: 'polylines',
  point: 'keypoints',
  radio: 'classification',
  checklist: 'classifications',
  text: 'scalar',
};

function kindOf(type: LabelType, field: FieldSchema): string {
  const feature = FEATURE_OF[type];
  if ('tool' in feature) return feature.tool;
  // A scalar with classes is a choice among them, not free text.
  if (type === 'scalar' && classNames(field).length > 0) return 'radio';
  return feature.classification;
}

/** The feature's name: the field, plus its type when the kind alone does not say it. */
export function featureName(field: string, type: LabelType, schema: FieldSchema): string {
  return CANONICAL[kindOf(type, schema)] === type ? field : `${field} (${type})`;
}

/** The field and label type a feature stands for; `undefined` when it is not one of ours. */
export function parseFeatureName(
  name: string,
  kind: string,
): { field: string; type: LabelType } | undefined {
  const match = /^(.+) \(([a-z]+)\)$/.exec(name);
  if (match?.[1] && match[2]) {
    const type = labelTypeSchema.safeParse(match[2]);
    return type.success ? { field: match[1], type: type.data } : undefined;
  }
  const type = CANONICAL[kind];
  return type ? { field: name, type } : undefined;
}

function classNames(field: FieldSchema): string[] {
  return field.classes.flatMap((item) => (typeof item === 'string' ? [item] : item.classes));
}

/** Class groups' attributes join the field's: Labelbox nests questions per tool, not per class. */
function attributesOf(field: FieldSchema): Record<string, AttributeSpec> {
  const out = { ...field.attributes };
  for (const item of field.classes)
    if (typeof item !== 'string') Object.assign(out, item.attributes);
  return out;
}

/**
 * FiftyOne made `select` a `DROPDOWN` classification, a type Labelbox has since removed (the
 * SDK's `Classification.Type` is text, checklist, radio and group): a select is a radio
 * answered from a searchable list (`uiMode: searchable`, the SDK's `UIMode.SEARCHABLE`), which
 * is also how it is told from a radio when the ontology is read back.
 */
const ATTRIBUTE_KIND: Record<string, Pick<OntologyClassification, 'type' | 'uiMode'>> = {
  text: { type: 'text' },
  select: { type: 'radio', uiMode: 'searchable' },
  radio: { type: 'radio' },
  checkbox: { type: 'checklist' },
};

function attributeTypeOf(question: OntologyClassification): string {
  if (question.type === 'radio') return question.uiMode === 'searchable' ? 'select' : 'radio';
  return question.type === 'checklist' ? 'checkbox' : 'text';
}

/**
 * Attribute values may be any JSON value, option values are strings: a string goes as itself
 * unless it would read back as something else (`"true"`, `"1"`), everything else as JSON.
 */
export function optionValue(value: unknown): string {
  if (typeof value === 'string' && parseJson(value) === value) return value;
  return JSON.stringify(value);
}

function attributeQuestion(name: string, spec: AttributeSpec): OntologyClassification {
  const { type, uiMode } = ATTRIBUTE_KIND[spec.type] ?? { type: 'text' };
  return {
    type,
    ...(uiMode ? { uiMode } : {}),
    name,
    instructions: name,
    required: false,
    options:
      type === 'text'
        ? []
        : (spec.values ?? []).map((value) => ({
            label: String(value),
            value: optionValue(value),
          })),
  };
}

const PALETTE = ['#1CE6FF', '#FF34FF', '#FF4A46', '#008941', '#006FA6', '#A30059', '#FFDBE5'];

/**
 * The ontology of a run's label schema, in FiftyOne's `classes_as_attrs` layout: one tool
 * per spatial field with a required `class_name` radio and the attributes as nested
 * questions, and one global question per classification or scalar field.
 */
export function ontologyOf(labelSchema: LabelSchema): Ontology {
  const ontology: Ontology = { tools: [], classifications: [] };
  for (const [field, schema] of Object.entries(labelSchema)) {
    const name = featureName(field, schema.type, schema);
    const kind = kindOf(schema.type, schema);
    const questions = Object.entries(attributesOf(schema)).map(([attr, spec]) =>
      attributeQuestion(attr, spec),
    );
    if ((TOOL_KINDS as readonly string[]).includes(kind)) {
      const targets = schema.type === 'segmentation' ? (schema.maskTargets ?? {}) : undefined;
      const options = targets
        ? Object.entries(targets).map(([value, label]) => ({ label, value }))
        : classNames(schema).map((c) => ({ label: c, value: c }));
      ontology.tools.push({
        tool: kind as ToolKind,
        name,
        required: false,
        color: PALETTE[ontology.tools.length % PALETTE.length] as string,
        classifications: [
          {
            type: 'radio',
            name: CLASS_FEATURE,
            instructions: CLASS_FEATURE,
            required: true,
            options,
          },
          ...questions,
        ],
      });
    } else {
      ontology.classifications.push({
        type: kind as OntologyClassification['type'],
        name,
        instructions: field,
        required: false,
        ...(isFrameField(field) ? { scope: 'index' as const } : {}),
        options: classNames(schema).map((c) => ({
          label: c,
          value: c,
          ...(questions.length > 0 ? { options: questions } : {}),
        })),
      });
    }
  }
  return ontology;
}

/** What an ontology says of each field: the parts of a label schema it can carry. */
export type OntologyField = Pick<FieldSchema, 'type' | 'classes' | 'attributes' | 'maskTargets'>;

/** The reverse of {@link ontologyOf}; features that are not ours are left out. */
export function fieldsOfOntology(ontology: Ontology): Record<string, OntologyField> {
  const out: Record<string, OntologyField> = {};
  for (const tool of ontology.tools) {
    const parsed = parseFeatureName(tool.name, tool.tool);
    if (!parsed) continue;
    const classQuestion = tool.classifications.find((c) => c.name === CLASS_FEATURE);
    const options = classQuestion?.options ?? [];
    const attributes = attributesOfQuestions(
      tool.classifications.filter((c) => c.name !== CLASS_FEATURE),
    );
    out[parsed.field] =
      parsed.type === 'segmentation'
        ? {
            type: parsed.type,
            classes: options.filter((o) => Number(o.value) !== 0).map((o) => o.label),
            attributes,
            maskTargets: Object.fromEntries(options.map((o) => [o.value, o.label])),
          }
        : { type: parsed.type, classes: options.map((o) => o.label), attributes };
  }
  for (const question of ontology.classifications) {
    const parsed = parseFeatureName(question.name, question.type);
    if (!parsed) continue;
    out[parsed.field] = {
      type: parsed.type,
      classes: question.options.map((o) => o.label),
      attributes: attributesOfQuestions(question.options[0]?.options ?? []),
    };
  }
  return out;
}

function attributesOfQuestions(
  questions: readonly OntologyClassification[],
): Record<string, AttributeSpec> {
  return Object.fromEntries(
    questions.map((q) => {
      const type = attributeTypeOf(q);
      const spec: AttributeSpec =
        type === 'text' ? { type } : { type, values: q.options.map((o) => parseJson(o.value)) };
      return [q.name, spec];
    }),
  );
}

/** An option value back to the attribute value it carries (a plain string if not JSON). */
export function parseJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}
