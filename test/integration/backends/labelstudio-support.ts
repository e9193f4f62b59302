import { afterEach, beforeAll, beforeEach } from 'vitest';
import { LabelStudioEmulator, labelStudioContract } from '../../emulators/labelstudio/index.js';

/**
 * One Label Studio emulator per test (runs of the same dataset and key share a project by
 * design), handed to `use` before each test and closed after. The published schema is
 * 1.5 MB: it is parsed once per file, with time to spare on a busy machine.
 */
export function useLabelStudioEmulator(use: (emulator: LabelStudioEmulator) => void): void {
  let current: LabelStudioEmulator | undefined;
  beforeAll(() => labelStudioContract(), 60_000);
  beforeEach(async () => {
    current = await LabelStudioEmulator.start();
    use(current);
  });
  afterEach(async () => {
    await current?.close();
  });
}
