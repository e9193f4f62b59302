import { parseLabelConfig } from '../../../lib/backends/labelstudio/index.js';

/** The emulator's state, shaped as Label Studio's models (reference §2.5: webhook payloads). */
export interface ProjectRow {
  id: number;
  title: string;
  description: string;
  label_config: string;
  maximum_annotations: number;
  created_at: string;
}
export interface TaskRow {
  id: number;
  project: number;
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}
export interface AnnotationRow {
  id: number;
  task: number;
  project: number;
  result: Record<string, unknown>[];
  was_cancelled: boolean;
  created_at: string;
  updated_at: string;
}
export interface PredictionRow {
  id: number;
  task: number;
  project: number;
  result: Record<string, unknown>[];
  model_version: string;
  created_at: string;
  updated_at: string;
}
export interface WebhookRow {
  id: number;
  project: number | null;
  url: string;
  headers: Record<string, string>;
  actions: string[];
  send_payload: boolean;
  send_for_all_actions: boolean;
  is_active: boolean;
  created_at: string;
  updated_at: string;
}

export interface Counters {
  task_number: number;
  finished_task_number: number;
  total_annotations_number: number;
  num_tasks_with_annotations: number;
  useful_annotation_number: number;
  ground_truth_number: number;
  skipped_annotations_number: number;
  total_predictions_number: number;
}

/**
 * One project body that satisfies all three published project schemas the emulator answers
 * with (`LseProjectCreate`, `LseProjectResponse`, `AllRolesProjectList`): the Enterprise
 * superset requires many read-only fields Community servers also send.
 */
export function projectView(project: ProjectRow, counters: Counters): Record<string, unknown> {
  return {
    id: project.id,
    title: project.title,
    description: project.description,
    label_config: project.label_config,
    maximum_annotations: project.maximum_annotations,
    created_at: project.created_at,
    parsed_label_config: parsedLabelConfig(project.label_config),
    ...counters,
    allow_stream: true,
    assignment_settings: { id: project.id },
    blueprints: [],
    config_has_control_tags: true,
    config_suitable_for_bulk_annotation: true,
    data_types: { image: 'Image' },
    description_short: project.description.slice(0, 100),
    internal_description: null,
    internal_description_short: null,
    is_dimensions_enabled: false,
    members: [],
    members_count: 0,
    permissions: [],
    prompts: null,
    queue_done: counters.finished_task_number,
    queue_left: counters.task_number - counters.finished_task_number,
    queue_total: counters.task_number,
    ready: true,
    rejected: 0,
    review_settings: { id: project.id, requeue_rejected_tasks_to_annotator: false },
    review_total_tasks: 0,
    reviewed_number: 0,
    reviewer_queue_total: 0,
    start_training_on_annotation_update: false,
    state: 'CREATED',
    workspace: 1,
    workspace_title: 'Sandbox',
  };
}

function parsedLabelConfig(xml: string): Record<string, unknown> {
  try {
    const fields = parseLabelConfig(xml);
    return Object.fromEntries(
      Object.entries(fields).map(([name, field]) => [
        name,
        {
          type: field.type,
          to_name: ['image'],
          inputs: [{ type: 'Image', value: 'image' }],
          labels: field.classes,
        },
      ]),
    );
  } catch {
    return {};
  }
}

export function annotationView(annotation: AnnotationRow): Record<string, unknown> {
  return {
    id: annotation.id,
    result: annotation.result,
    task: annotation.task,
    project: annotation.project,
    completed_by: 1,
    was_cancelled: annotation.was_cancelled,
    ground_truth: false,
    lead_time: 1.5,
    created_at: annotation.created_at,
    updated_at: annotation.updated_at,
  };
}

export function predictionView(prediction: PredictionRow): Record<string, unknown> {
  return {
    id: prediction.id,
    result: prediction.result,
    task: prediction.task,
    project: prediction.project,
    model_version: prediction.model_version,
    score: 0,
    created_at: prediction.created_at,
    updated_at: prediction.updated_at,
  };
}

/**
 * A task as the task endpoints answer it. The published `RoleBasedTask` is a `oneOf` whose
 * first two branches (`LseTask`, `LseTaskSerializerForReviewers`) are identical, so no full
 * task can match exactly one of them; only the annotator-role shape validates, so that is
 * the one served (plus `is_labeled`, `project`, `updated_at`, which Community servers send).
 */
export function taskView(
  task: TaskRow,
  annotations: readonly AnnotationRow[],
  predictions: readonly PredictionRow[],
  maximumAnnotations: number,
): Record<string, unknown> {
  const done = annotations.filter((annotation) => !annotation.was_cancelled).length;
  return {
    id: task.id,
    data: task.data,
    meta: task.meta,
    project: task.project,
    annotations: annotations.map(annotationView),
    predictions: predictions.map(predictionView),
    drafts: [],
    annotations_results: '',
    predictions_results: '',
    comment_count: 0,
    comments: '',
    unresolved_comment_count: 0,
    created_at: task.created_at,
    updated_at: task.updated_at,
    state: done > 0 ? 'COMPLETED' : 'CREATED',
    is_labeled: done >= maximumAnnotations,
    total_annotations: done,
    cancelled_annotations: annotations.length - done,
    total_predictions: predictions.length,
  };
}

/** The task as webhook payloads carry it: the model's fields (`__all__`). */
export function taskPayload(
  task: TaskRow,
  annotations: readonly AnnotationRow[],
  predictions: readonly PredictionRow[],
  maximumAnnotations: number,
): Record<string, unknown> {
  const done = annotations.filter((annotation) => !annotation.was_cancelled).length;
  return {
    id: task.id,
    data: task.data,
    meta: task.meta,
    created_at: task.created_at,
    updated_at: task.updated_at,
    is_labeled: done >= maximumAnnotations,
    overlap: 1,
    inner_id: task.id,
    total_annotations: done,
    cancelled_annotations: annotations.length - done,
    total_predictions: predictions.length,
    project: task.project,
    file_upload: null,
    updated_by: null,
  };
}

export function webhookView(hook: WebhookRow): Record<string, unknown> {
  return { ...hook, organization: 1, consecutive_failures: 0 };
}
