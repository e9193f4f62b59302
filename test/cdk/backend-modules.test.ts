import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { annotationServicePropsErrors } from '../../cdk/annotation-service.js';
import { FUNCTION_ENTRIES } from '../../cdk/function-entries.js';
import { PROJECT_ROOT } from '../../cdk/project-function.js';
import { deriveServiceModel } from '../../lib/local/service-model.js';
import { synthService } from './support.js';

const ECHO = join(PROJECT_ROOT, 'test/fixtures/backends/echo-backend.ts');

describe('Construct: your own backend modules (FiftyOne config_cls)', () => {
  it('exposes the module to every function that runs backends, and to no other', () => {
    const { template } = synthService({ backendModules: { echo: ECHO } });
    const resources = template.toJSON().Resources as Record<
      string,
      {
        Type: string;
        Properties: { Environment?: { Variables?: Record<string, unknown> } };
        Metadata?: Record<string, unknown>;
      }
    >;
    const byId = Object.fromEntries(
      Object.values(FUNCTION_ENTRIES).map((entry) => [
        entry.id,
        Object.values(resources).find(
          (r) =>
            r.Type === 'AWS::Lambda::Function' &&
            String(r.Metadata?.['aws:cdk:path']).includes(`/${entry.id}/Function/`),
        ),
      ]),
    );
    for (const [id, fn] of Object.entries(byId)) {
      const variables = fn?.Properties.Environment?.Variables ?? {};
      if (id === 'Ingest') {
        expect(variables).not.toHaveProperty('ANNOFLOW_ECHO_MODULE');
        continue;
      }
      expect(variables, id).toMatchObject({
        ANNOFLOW_ECHO_MODULE: '/var/task/backends/echo.mjs',
        ANNOFLOW_ANNOTATION_BACKENDS: '*,echo',
      });
      expect(fn?.Metadata?.['annoflow:backendModules'], id).toEqual({ echo: ECHO });
    }
  });

  it('runs the module from its source on the embedded runtime', () => {
    const { template } = synthService({ backendModules: { echo: ECHO } });
    const model = deriveServiceModel(
      template.toJSON() as Parameters<typeof deriveServiceModel>[0],
      {
        tableName: 't',
        mediaBucket: 'b',
      },
    );
    const annotate = model.functions.find((fn) => fn.key === 'annotate');
    expect(annotate?.env.ANNOFLOW_ECHO_MODULE).toBe(ECHO);
  });

  it.each([
    [{ cvat: ECHO }, "'cvat' is a built-in backend"],
    [{ 'My-Tool': ECHO }, "'My-Tool' must be lower-case letters"],
    [{ echo: 'relative/echo.ts' }, 'no module at'],
    [{ echo: join(PROJECT_ROOT, 'nowhere.ts') }, 'no module at'],
  ])('refuses %j at synth, naming the problem', (backendModules, problem) => {
    expect(annotationServicePropsErrors({ backendModules }).join('\n')).toContain(problem);
  });
});

describe('Construct: backend configuration and credentials', () => {
  const props = {
    backendEnvironment: { FIFTYONE_CVAT_URL: 'https://cvat.example.com' },
    backendCredentials: { FIFTYONE_CVAT_PASSWORD: 'annoflow/cvat-password' },
  };

  it('puts settings in the env of functions that run backends, credentials only as secret names', () => {
    const { template } = synthService(props);
    const fns = Object.values(
      template.toJSON().Resources as Record<
        string,
        {
          Type: string;
          Properties: { Environment?: { Variables?: Record<string, unknown> } };
          Metadata?: Record<string, unknown>;
        }
      >,
    ).filter(
      (r) =>
        r.Type === 'AWS::Lambda::Function' &&
        String(r.Metadata?.['aws:cdk:path']).includes('/Service/'),
    );
    const annotate = fns.find((fn) => String(fn.Metadata?.['aws:cdk:path']).includes('/Annotate/'));
    const ingest = fns.find((fn) => String(fn.Metadata?.['aws:cdk:path']).includes('/Ingest/'));
    expect(annotate?.Properties.Environment?.Variables).toMatchObject({
      FIFTYONE_CVAT_URL: 'https://cvat.example.com',
      ANNOFLOW_CREDENTIAL_SECRETS: JSON.stringify({
        FIFTYONE_CVAT_PASSWORD: 'annoflow/cvat-password',
      }),
    });
    expect(JSON.stringify(template.toJSON())).not.toMatch(
      /FIFTYONE_CVAT_PASSWORD":"(?!annoflow\/cvat-password)/,
    );
    expect(ingest?.Properties.Environment?.Variables).not.toHaveProperty('FIFTYONE_CVAT_URL');
  });

  it('lets those functions read exactly the named secrets', () => {
    const { template } = synthService(props);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) =>
        (
          policy.Properties.PolicyDocument as {
            Statement: Array<{ Action: unknown; Resource: unknown }>;
          }
        ).Statement,
    );
    const reads = statements.filter((s) => s.Action === 'secretsmanager:GetSecretValue');
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) {
      expect(JSON.stringify(read.Resource)).toContain('secret:annoflow/cvat-password-??????');
    }
  });

  it.each([
    [{ backendEnvironment: { FIFTYONE_CVAT_PASSWORD: 'x' } }, 'looks like a credential'],
    [{ backendEnvironment: { CVAT_URL: 'x' } }, 'is not an ANNOFLOW_/FIFTYONE_ variable'],
    [{ backendCredentials: { password: 'x' } }, 'is not an ANNOFLOW_/FIFTYONE_ variable'],
  ])('refuses %j at synth', (bad, problem) => {
    expect(annotationServicePropsErrors(bad).join('\n')).toContain(problem);
  });
});
