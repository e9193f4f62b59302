import { App } from 'aws-cdk-lib';
import { AnnotationStack } from './annotation-stack.js';

/**
 * `npx cdk synth|deploy` entry (cdk.json). The environment is explicit and nothing is looked
 * up, so synth needs no credentials. The CLI sets CDK_DEFAULT_ACCOUNT/REGION from the active
 * credentials on deploy; without credentials (offline synth, CI) the placeholders below are
 * used, and a deploy with them fails loudly instead of landing in an unintended account.
 */
const PLACEHOLDER_ACCOUNT = '000000000000';
const PLACEHOLDER_REGION = 'us-east-1';

const app = new App();
new AnnotationStack(app, 'Annoflow', {
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT ?? PLACEHOLDER_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION ?? PLACEHOLDER_REGION,
  },
});
app.synth();
