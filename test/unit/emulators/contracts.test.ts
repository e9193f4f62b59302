import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const CONTRACTS = [
  {
    copy: '../../emulators/contracts/cvat-openapi.yml',
    shared: '../../../../shared/reference/cvat/openapi.yml',
    sha256: '69deb57f1939442bb8d5277bfddeea7e358421a9e49b2e8ccbe0c53c3c9b4b08',
  },
  {
    copy: '../../emulators/contracts/label-studio-openapi.yaml',
    shared: '../../../../shared/reference/label-studio/openapi.yaml',
    sha256: 'cf290f6717accede1c7f37467f3e5d9897825f7466c8f17e0757d9a07a2313bf',
  },
];

describe('The contracts the emulators enforce', () => {
  it.each(CONTRACTS)('$copy is the published schema, byte for byte', (contract) => {
    expect(sha256(here(contract.copy))).toBe(contract.sha256);
  });

  it.each(CONTRACTS)('$copy equals the shared reference when it is present', (contract) => {
    const shared = here(contract.shared);
    if (!existsSync(shared)) return; // a checkout of this repository alone (CI)
    expect(sha256(shared)).toBe(sha256(here(contract.copy)));
  });
});
