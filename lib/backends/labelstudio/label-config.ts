import { z } from 'zod';
import { InvalidInputError } from '../../errors/index.js';
import { type LabelType, labelTypeSchema } from '../../labels/label-types.js';
import type { FieldSchema, LabelSchema } from '../../schema/types.js';

/** The `<Image>` every control annotates, and the task data key holding its URL. */
export const IMAGE_NAME = 'image';

/** Label Studio's control tag per label type, and its child tag (reference §2.3). */
export const CONTROL_OF: Readonly<Record<LabelType, { tag: string; child?: string }>> = {
  classification: { tag: 'Choices', child: 'Choice' },
  classifications: { tag: 'Choices', child: 'Choice' },
  detection: { tag: 'RectangleLabels', child: 'Label' },
  detections: { tag: 'RectangleLabels', child: 'Label' },
  instance: { tag: 'BrushLabels', child: 'Label' },
  instances: { tag: 'BrushLabels', child: 'Label' },
  polyline: { tag: 'PolygonLabels', child: 'Label' },
  polylines: { tag: 'PolygonLabels', child: 'Label' },
  polygon: { tag: 'PolygonLabels', child: 'Label' },
  polygons: { tag: 'PolygonLabels', child: 'Label' },
  keypoint: { tag: 'KeyPointLabels', child: 'Label' },
  keypoints: { tag: 'KeyPointLabels', child: 'Label' },
  segmentation: { tag: 'BrushLabels', child: 'Label' },
  scalar: { tag: 'Number' },
};

/**
 * What a control says about its field. Label Studio cannot tell `detection` from
 * `detections` or a polygon from a polyline, so each control is preceded by an XML comment
 * naming the FiftyOne type (and a segmentation's mask targets); Label Studio ignores comments.
 */
export const configFieldSchema = z.object({
  type: labelTypeSchema,
  classes: z.array(z.string()),
  maskTargets: z.record(z.string(), z.string()).optional(),
});
export type ConfigField = z.infer<typeof configFieldSchema>;

const commentSchema = configFieldSchema.pick({ type: true, maskTargets: true });

/** The classes a field's control lists: class groups flattened, masks' targets if no classes. */
export function classesOf(field: FieldSchema): string[] {
  const classes = field.classes.flatMap((entry) =>
    typeof entry === 'string' ? [entry] : entry.classes,
  );
  if (classes.length > 0 || field.type !== 'segmentation') return [...new Set(classes)];
  return Object.values(field.maskTargets ?? {});
}

/**
 * The label config XML of a run's label schema, as FiftyOne builds it: one `<Image>` and one
 * control per field, named after the field.
 *
 * @example
 * labelConfigOf({ gt: { type: 'detections', classes: ['car'], attributes: {}, existingField: false } });
 * // <View>\n  <Image name="image" value="$image"/>\n  <!-- annoflow {"type":"detections"} -->…
 */
export function labelConfigOf(labelSchema: LabelSchema): string {
  const lines = ['<View>', `  <Image name="${IMAGE_NAME}" value="$${IMAGE_NAME}"/>`];
  for (const [name, field] of Object.entries(labelSchema)) {
    const { tag, child } = CONTROL_OF[field.type];
    const comment = {
      type: field.type,
      ...(field.type === 'segmentation' && field.maskTargets
        ? { maskTargets: field.maskTargets }
        : {}),
    };
    // `--` may not appear inside an XML comment; \u002d is the same character to JSON.
    lines.push(`  <!-- annoflow ${JSON.stringify(comment).replaceAll('--', '-\\u002d')} -->`);
    const choice =
      field.type === 'classification'
        ? ' choice="single-radio"'
        : field.type === 'classifications'
          ? ' choice="multiple"'
          : '';
    const open = `  <${tag} name="${escapeXml(name)}" toName="${IMAGE_NAME}"${choice}`;
    if (child === undefined) {
      lines.push(`${open}/>`);
      continue;
    }
    lines.push(`${open}>`);
    for (const value of classesOf(field)) lines.push(`    <${child} value="${escapeXml(value)}"/>`);
    lines.push(`  </${tag}>`);
  }
  lines.push('</View>');
  return `${lines.join('\n')}\n`;
}

const TYPE_OF_TAG: Readonly<Record<string, LabelType>> = {
  Choices: 'classification',
  RectangleLabels: 'detections',
  BrushLabels: 'instances',
  PolygonLabels: 'polygons',
  KeyPointLabels: 'keypoints',
  Number: 'scalar',
};

const TOKEN = /<!--([\s\S]*?)-->|<\/(\w+)\s*>|<(\w+)((?:\s+[\w:-]+\s*=\s*"[^"]*")*)\s*(\/?)>/g;
const ATTRIBUTE = /([\w:-]+)\s*=\s*"([^"]*)"/g;

/**
 * Reads a label config back: per control, its field's type and classes. Understands the
 * subset {@link labelConfigOf} writes, plus configs without annoflow's comments (a control's
 * type is then the plural one its tag suggests).
 *
 * @throws InvalidInputError when a control has no `name` or the annoflow comment is unreadable.
 */
export function parseLabelConfig(xml: string): Record<string, ConfigField> {
  const fields: Record<string, ConfigField> = {};
  let pending: z.infer<typeof commentSchema> | undefined;
  let current: ConfigField | undefined;
  for (const match of xml.matchAll(TOKEN)) {
    const [, comment, closing, tag, attributeText = '', selfClosing] = match;
    if (comment !== undefined) {
      const text = comment.trim();
      if (!text.startsWith('annoflow ')) continue;
      try {
        pending = commentSchema.parse(JSON.parse(text.slice('annoflow '.length)));
      } catch (error) {
        throw new InvalidInputError(
          `Label config comment '${text}' is not annoflow's`,
          {},
          {
            cause: error,
          },
        );
      }
      continue;
    }
    if (closing !== undefined) {
      if (closing in TYPE_OF_TAG) current = undefined;
      continue;
    }
    if (tag === undefined) continue;
    const attributes = Object.fromEntries(
      [...attributeText.matchAll(ATTRIBUTE)].map(([, key = '', value = '']) => [
        key,
        unescapeXml(value),
      ]),
    );
    const defaultType = TYPE_OF_TAG[tag];
    if (defaultType !== undefined) {
      const name = attributes.name;
      if (name === undefined) {
        throw new InvalidInputError(`Label config control <${tag}> has no name`, { tag });
      }
      const type =
        pending?.type ??
        (tag === 'Choices' && attributes.choice === 'multiple' ? 'classifications' : defaultType);
      current = {
        type,
        classes: [],
        ...(pending?.maskTargets ? { maskTargets: pending.maskTargets } : {}),
      };
      fields[name] = current;
      pending = undefined;
      if (selfClosing === '/') current = undefined;
      continue;
    }
    if ((tag === 'Label' || tag === 'Choice') && current && attributes.value !== undefined) {
      current.classes.push(attributes.value);
    }
  }
  return fields;
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

function unescapeXml(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}
