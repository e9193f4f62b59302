export { Annotator, type Delivery, WebhookSender } from './annotator.js';
export { type EmulatorOptions, LabelStudioEmulator, labelStudioContract } from './emulator.js';
export { pythonJsonDumps } from './python-json.js';
