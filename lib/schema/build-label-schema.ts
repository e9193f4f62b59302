import { LabelSchemaError, parseInput } from '../errors/index.js';
import type { Sample } from '../labels/schemas.js';
import { acceptSnakeCase } from './aliases.js';
import { type AttributeContext, buildAttributes } from './attribute-specs.js';
import { buildClasses, classesMissing } from './classes.js';
import { type RequestedField, requestedFields } from './entry-forms.js';
import { type ResolvedField, resolveField } from './field-type.js';
import { isRecord } from './format.js';
import { storedClass } from './label-kinds.js';
import { buildMaskTargets } from './mask-targets.js';
import { refuseProtoNames } from './proto-names.js';
import { isTrackableFrameField, onlyKeyframes, restrictionFlags } from './restrictions.js';
import {
  type FieldObservations,
  firstAttributeValues,
  type ScanPlan,
  scanSamples,
} from './scan.js';
import {
  type AnnotateOptions,
  annotateOptionsSchema,
  type BackendCapabilities,
  type DatasetSchema,
  type FieldSchema,
  type LabelSchema,
} from './types.js';

export interface BuildLabelSchemaContext {
  readonly dataset: DatasetSchema;
  /** The collection to annotate; may be a lazy reader. It is read at most once. */
  readonly samples: Iterable<Sample>;
  readonly backend: BackendCapabilities;
}

export interface BuiltLabelSchema {
  readonly labelSchema: LabelSchema;
  /** What FiftyOne logs as warnings, in field order, for the caller to surface. */
  readonly warnings: string[];
  /**
   * Neither `labelSchema` nor `labelField` was given, on a backend that allows it: FiftyOne's
   * schemaless run (label schema `{None: {}}`), whose classes are the tool project's.
   */
  readonly schemaless?: true;
}

/**
 * Builds and validates a run's label schema exactly as FiftyOne's `annotate()` does before a
 * run is registered (SEMANTICS §2.1 steps 3, 5 and 6, §3). Fields are checked in schema order
 * and the first failure throws a {@link LabelSchemaError}; within a field the checks run in
 * FiftyOne's order: type, backend support, video placement, multi-type narrowing, classes or
 * mask targets, attributes, restriction flags and keyframes.
 *
 * The samples are read once, and only if some existing field needs them (inferred classes,
 * inferred attributes, keyframes). To keep FiftyOne's error order with a single pass, the
 * sample-free checks run for every field up to the first one that fails; the samples are
 * scanned for the fields before it; those fields are finished (possibly failing first); and
 * only then is the earlier-found failure thrown.
 */
export function buildLabelSchema(
  options: AnnotateOptions,
  ctx: BuildLabelSchemaContext,
): BuiltLabelSchema {
  const given = acceptSnakeCase(options);
  const { labelField, labelSchema } = given as { labelField?: unknown; labelSchema?: unknown };
  refuseProtoNames(options, 'annotate options', { labelField, labelSchema });
  refuseProtoNames(ctx.dataset, 'dataset schema');
  const parsed = parseInput(annotateOptionsSchema, given, 'annotate options');
  const { dataset, backend } = ctx;
  const iterator = ctx.samples[Symbol.iterator]();
  try {
    const first = iterator.next();
    if (first.done) {
      throw new LabelSchemaError(
        'EMPTY_COLLECTION',
        'The collection is empty; there is nothing to annotate',
      );
    }
    checkMediaType(dataset, backend);
    const requested = requestedFields(parsed, backend);
    if (requested === null) {
      return {
        labelSchema: {},
        schemaless: true,
        warnings: [
          `No label schema or label field given: the '${backend.name}' run is schemaless and takes its classes from the tool's project`,
        ],
      };
    }

    const { resolved, failure } = resolveUntilFailure(requested, dataset, backend);

    const plans = scanPlans(resolved, backend);
    const observations =
      plans.length > 0
        ? scanSamples(resume(first.value, iterator), plans)
        : new Map<string, FieldObservations>();

    const labelSchema: LabelSchema = {};
    const warnings: string[] = [];
    for (const field of resolved) {
      warnings.push(...field.warnings);
      labelSchema[field.name] = finishField(field, observations.get(field.name), ctx, warnings);
    }
    if (failure) throw failure.error;
    refuseExistingFields(labelSchema, backend);
    return { labelSchema, warnings };
  } finally {
    iterator.return?.();
  }
}

/**
 * The sample-free checks, field by field, stopping at the first failure. The failure is held
 * back so that the fields before it can finish (and fail first, as FiftyOne would).
 */
function resolveUntilFailure(
  requested: readonly RequestedField[],
  dataset: DatasetSchema,
  backend: BackendCapabilities,
): { resolved: ResolvedField[]; failure?: { error: unknown } } {
  const resolved: ResolvedField[] = [];
  for (const field of requested) {
    try {
      resolved.push(resolveField(field, dataset, backend));
    } catch (error) {
      return { resolved, failure: { error } };
    }
  }
  return { resolved };
}

/**
 * A tool that cannot edit existing labels (Labelbox) refuses an existing field. FiftyOne
 * does so at upload, after the run was registered (SEMANTICS §10); here it is the last check
 * of the schema, so every validation error still comes first, as in FiftyOne, but no run is
 * registered for an upload bound to fail.
 */
function refuseExistingFields(labelSchema: LabelSchema, backend: BackendCapabilities): void {
  if (backend.editsExistingLabels !== false) return;
  for (const [field, schema] of Object.entries(labelSchema)) {
    if (!schema.existingField) continue;
    throw new LabelSchemaError(
      'EXISTING_FIELD_UNSUPPORTED',
      `Cannot use existing field '${field}'; the ${backendTitle(backend.name)} backend does not yet support uploading existing labels`,
      { field, backend: backend.name },
    );
  }
}

// FiftyOne's message names the tool as its docs do ("the Labelbox backend").
function backendTitle(name: string): string {
  return name === 'labelbox' ? 'Labelbox' : `'${name}'`;
}

function checkMediaType(dataset: DatasetSchema, backend: BackendCapabilities): void {
  if (backend.supportedMediaTypes.includes(dataset.mediaType)) return;
  throw new LabelSchemaError(
    'UNSUPPORTED_MEDIA_TYPE',
    `The '${backend.name}' backend does not support annotating '${dataset.mediaType}' collections`,
    { backend: backend.name, mediaType: dataset.mediaType },
  );
}

/** The first sample, already read for the emptiness check, then the rest of the same read. */
function* resume(first: Sample, rest: Iterator<Sample>): Generator<Sample> {
  yield first;
  for (let next = rest.next(); !next.done; next = rest.next()) yield next.value;
}

function wantsInferredAttributes(field: ResolvedField, backend: BackendCapabilities): boolean {
  if (backend.supportedAttrTypes.length === 0) return false;
  if (field.spec.attributes === true) return true;
  return (field.spec.classes ?? []).some((item) => isRecord(item) && item.attributes === true);
}

/** What each existing label field needs from the samples; fields needing nothing are not read. */
function scanPlans(fields: readonly ResolvedField[], backend: BackendCapabilities): ScanPlan[] {
  const plans: ScanPlan[] = [];
  for (const field of fields) {
    const cls = storedClass(field.type);
    if (!field.existing || cls === null) continue;
    const isSegmentation = field.type === 'segmentation';
    const plan: ScanPlan = {
      name: field.name,
      cls,
      kind: field.kind,
      classes: !isSegmentation && classesMissing(field),
      attributes: !isSegmentation && wantsInferredAttributes(field, backend),
      keyframes: isTrackableFrameField(field.name, field.type),
    };
    if (plan.classes || plan.attributes || plan.keyframes) plans.push(plan);
  }
  return plans;
}

function finishField(
  field: ResolvedField,
  observations: FieldObservations | undefined,
  ctx: BuildLabelSchemaContext,
  warnings: string[],
): FieldSchema {
  const { backend, dataset } = ctx;
  const trackable = isTrackableFrameField(field.name, field.type);
  const attributeContext: AttributeContext = {
    field: field.name,
    type: field.type,
    existing: field.existing,
    backend,
    dropKeyframe: trackable,
    observed: (classes) => (observations ? firstAttributeValues(observations, classes) : []),
    warnings,
  };
  let classes: FieldSchema['classes'];
  let maskTargets: FieldSchema['maskTargets'];
  if (field.type === 'segmentation') {
    ({ maskTargets, classes } = buildMaskTargets(field, dataset));
  } else {
    classes = buildClasses(field, observations?.classes, attributeContext);
  }
  const attributes =
    field.type === 'scalar' || field.type === 'segmentation'
      ? {}
      : buildAttributes(field.spec.attributes, attributeContext);
  // Key order as FiftyOne stores `label_info`: type, classes, attributes, mask targets, existing.
  const built: FieldSchema = {
    type: field.type,
    classes,
    attributes,
    ...(maskTargets ? { maskTargets } : {}),
    existingField: field.existing,
    ...restrictionFlags(field),
  };
  if (field.existing && trackable) {
    built.onlyKeyframes = onlyKeyframes(field, observations, backend, warnings);
  }
  return built;
}
