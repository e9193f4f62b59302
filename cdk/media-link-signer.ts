import { SecretValue, Validations } from 'aws-cdk-lib';
import { AccessKey, PolicyStatement, User } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SERVICE_ENV } from '../lib/config/service-env.js';
import { acknowledgeWildcardResource } from './nag.js';
import type { ProjectFunction } from './project-function.js';

export interface MediaLinkSignerProps {
  readonly bucket: IBucket;
  /** The media's prefix: the signer may read these objects and nothing else. */
  readonly prefix: string;
}

/**
 * The identity presigned media links are signed with. A presigned URL lives no longer than
 * the credentials that signed it, and a function role's are a session of hours: signed by a
 * role, a "7-day" link handed to Label Studio or Labelbox broke within the day. An IAM user's
 * access key does not expire, so links live the 7 days they name. The user may only read
 * the media prefix; its key lives in Secrets Manager, read by the functions that sign.
 */
export class MediaLinkSigner extends Construct {
  readonly user: User;
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: MediaLinkSignerProps) {
    super(scope, id);
    this.user = new User(this, 'User');
    const objects = props.bucket.arnForObjects(`${props.prefix}*`);
    this.user.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }),
    );
    acknowledgeWildcardResource(
      this.user,
      objects,
      'Presigned links to any media object: objects are named at run time, and the prefix holds only media.',
    );
    const key = new AccessKey(this, 'AccessKey', { user: this.user });
    // The key's secret half goes from CloudFormation to Secrets Manager; it is a GetAtt in the
    // template, never a literal.
    this.secret = new Secret(this, 'Secret', {
      description: 'annoflow: access key that signs presigned media links (JSON)',
      secretObjectValue: {
        // The key's id names it; only its secret half must stay out of the template.
        accessKeyId: SecretValue.unsafePlainText(key.accessKeyId),
        secretAccessKey: key.secretAccessKey,
      },
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'An IAM access key cannot be rotated by a Secrets Manager rotation without a custom rotation function; rotate by replacing the MediaLinkSigner AccessKey (a new logical id) and redeploying. Links signed by the old key stop working when it is deleted.',
    });
  }

  /** Lets `fn` sign links: the secret's id in its environment, and read access to it. */
  grantSigning(fn: ProjectFunction): ProjectFunction {
    fn.function.addEnvironment(SERVICE_ENV.MEDIA_LINK_SIGNER_SECRET, this.secret.secretArn);
    this.secret.grantRead(fn.role);
    return fn;
  }
}
