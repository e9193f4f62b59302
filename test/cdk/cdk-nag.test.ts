import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnnotationService } from '../../cdk/annotation-service.js';
import { TEST_ENV, testApp } from './support.js';

interface Finding {
  readonly rule: string;
  readonly path: string;
}

interface Acknowledgement extends Finding {
  readonly reason: string;
}

/** Synthesizes one AnnotationService with AwsSolutions checks; returns what cdk-nag reported. */
function runNag(): { findings: Finding[]; acknowledgements: Acknowledgement[] } {
  const app = testApp();
  const stack = new Stack(app, 'NagStack', { env: TEST_ENV });
  new AnnotationService(stack, 'Service');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // A plugin error makes synth throw; the report is written either way.
  let synthError: unknown;
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: {
      violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
    }[];
  };
  const findings = report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => ({ rule: v.ruleName, path: c.constructPath })),
    ),
  );
  if (synthError && findings.length === 0) throw synthError;
  const acknowledgements = stack.node.findAll().flatMap((c: IConstruct) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          rule: id.replace(/^annotation::/i, ''),
          path: c.node.path,
          reason,
        })),
      ),
  );
  return { findings, acknowledgements };
}

describe('cdk-nag AwsSolutions', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reports nothing: every finding is fixed or acknowledged with a specific reason', () => {
    const { findings, acknowledgements } = runNag();
    expect(findings).toEqual([]);
    expect(acknowledgements.map((a) => `${a.path} ${a.rule}`).sort()).toEqual([
      'NagStack/BucketNotificationsHandler050a0587b7544547bf325f094a3db834 AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'NagStack/Service/Annotate/Function AwsSolutions-L1',
      'NagStack/Service/Annotate/Role AwsSolutions-IAM5[Resource::*]',
      'NagStack/Service/Annotate/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/blobs/*]',
      'NagStack/Service/Annotate/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/datasets/*]',
      'NagStack/Service/Annotate/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/runs/*]',
      'NagStack/Service/Annotate/Role AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:eu-west-1:111111111111:secret:annoflow/NagStack/*]',
      'NagStack/Service/Api/Function AwsSolutions-L1',
      'NagStack/Service/Api/Role AwsSolutions-IAM5[Resource::*]',
      'NagStack/Service/Api/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/blobs/*]',
      'NagStack/Service/Api/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/datasets/*]',
      'NagStack/Service/Api/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/runs/*]',
      'NagStack/Service/Api/Role AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:eu-west-1:111111111111:secret:annoflow/NagStack/*]',
      'NagStack/Service/Api/Role AwsSolutions-IAM5[Resource::arn:aws:states:eu-west-1:111111111111:execution:NagStack-AnnotateWorkflow:*]',
      'NagStack/Service/Api/Role AwsSolutions-IAM5[Resource::arn:aws:states:eu-west-1:111111111111:execution:NagStack-CleanupWorkflow:*]',
      'NagStack/Service/Api/Role AwsSolutions-IAM5[Resource::arn:aws:states:eu-west-1:111111111111:execution:NagStack-LoadWorkflow:*]',
      'NagStack/Service/Cleanup/Function AwsSolutions-L1',
      'NagStack/Service/Cleanup/Role AwsSolutions-IAM5[Resource::*]',
      'NagStack/Service/Cleanup/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/runs/*]',
      'NagStack/Service/Cleanup/Role AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:eu-west-1:111111111111:secret:annoflow/NagStack/*]',
      'NagStack/Service/HttpApi/POST--webhooks--{backend} AwsSolutions-APIG4',
      'NagStack/Service/Ingest/Function AwsSolutions-L1',
      'NagStack/Service/Ingest/Role AwsSolutions-IAM5[Resource::*]',
      'NagStack/Service/Ingest/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/blobs/*]',
      'NagStack/Service/Ingest/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/datasets/*]',
      'NagStack/Service/IngestDeadLetterQueue AwsSolutions-SQS3',
      'NagStack/Service/Load/Function AwsSolutions-L1',
      'NagStack/Service/Load/Role AwsSolutions-IAM5[Resource::*]',
      'NagStack/Service/Load/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/blobs/*]',
      'NagStack/Service/Load/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/datasets/*]',
      'NagStack/Service/Load/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/runs/*]',
      'NagStack/Service/Load/Role AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:eu-west-1:111111111111:secret:annoflow/NagStack/*]',
      'NagStack/Service/MediaLinkSigner/Secret AwsSolutions-SMG4',
      'NagStack/Service/MediaLinkSigner/User AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/datasets/*]',
      'NagStack/Service/Results/Function AwsSolutions-L1',
      'NagStack/Service/Results/Role AwsSolutions-IAM5[Resource::*]',
      'NagStack/Service/Results/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/runs/*]',
      'NagStack/Service/Results/Role AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:eu-west-1:111111111111:secret:annoflow/NagStack/*]',
      'NagStack/Service/Results/Role AwsSolutions-IAM5[Resource::arn:aws:states:eu-west-1:111111111111:execution:NagStack-LoadWorkflow:*]',
      'NagStack/Service/Sweeper/Function AwsSolutions-L1',
      'NagStack/Service/Sweeper/Role AwsSolutions-IAM5[Resource::*]',
      'NagStack/Service/Sweeper/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/blobs/*]',
      'NagStack/Service/Sweeper/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/datasets/*]',
      'NagStack/Service/Sweeper/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/runs/*]',
      'NagStack/Service/Sweeper/Role AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:eu-west-1:111111111111:secret:annoflow/NagStack/*]',
      'NagStack/Service/Sweeper/Role AwsSolutions-IAM5[Resource::arn:aws:states:eu-west-1:111111111111:execution:NagStack-LoadWorkflow:*]',
      'NagStack/Service/Webhook/Function AwsSolutions-L1',
      'NagStack/Service/Webhook/Role AwsSolutions-IAM5[Resource::*]',
      'NagStack/Service/Webhook/Role AwsSolutions-IAM5[Resource::<ServiceMediaBucket4AC6DE58.Arn>/runs/*]',
      'NagStack/Service/Webhook/Role AwsSolutions-IAM5[Resource::arn:aws:secretsmanager:eu-west-1:111111111111:secret:annoflow/NagStack/*]',
      'NagStack/Service/Webhook/Role AwsSolutions-IAM5[Resource::arn:aws:states:eu-west-1:111111111111:execution:NagStack-LoadWorkflow:*]',
      'NagStack/Service/Workflows/AnnotateWorkflow/Role AwsSolutions-IAM5[Resource::*]',
      'NagStack/Service/Workflows/AnnotateWorkflow/Role AwsSolutions-IAM5[Resource::<ServiceAnnotateFunctionBB35BF99.Arn>:*]',
      'NagStack/Service/Workflows/CleanupWorkflow/Role AwsSolutions-IAM5[Resource::*]',
      'NagStack/Service/Workflows/CleanupWorkflow/Role AwsSolutions-IAM5[Resource::<ServiceCleanupFunctionD0DF705A.Arn>:*]',
      'NagStack/Service/Workflows/LoadWorkflow/Role AwsSolutions-IAM5[Resource::*]',
      'NagStack/Service/Workflows/LoadWorkflow/Role AwsSolutions-IAM5[Resource::<ServiceLoadFunction988B2570.Arn>:*]',
    ]);
    for (const a of acknowledgements) expect(a.reason.length, a.rule).toBeGreaterThan(60);
  });

  it('acknowledges nothing that would not otherwise be reported', () => {
    const { acknowledgements } = runNag();
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => {});
    const { findings } = runNag();
    for (const a of acknowledgements) {
      expect(
        findings.some((f) => f.rule === a.rule && f.path.startsWith(`${a.path}/`)),
        `${a.rule} on ${a.path} is acknowledged but never reported`,
      ).toBe(true);
    }
  });
});
