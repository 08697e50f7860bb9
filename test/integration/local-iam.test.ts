// Local mode's IAM is AWS's: each function calls with its own role's credentials, the roles come from
// the packaged template, and a call the role does not allow is refused with AccessDeniedException.
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SignatureV4 } from '@smithy/signature-v4';
import { QUIET_FUNCTIONS, startLocal, type LocalApp } from '../../local/app.ts';
import { Sha256 } from '../../local/iam/sigv4.ts';
import { ROOT, signedFetch } from '../support/local.ts';
import { putProposals } from './local-wire.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';

/** A copy of the project whose serverless.yml is changed by `edit`, sharing node_modules. */
async function projectWith(edit: (yml: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hitl-iam-project-'));
  for (const entry of [
    'functions',
    'events',
    'local',
    'policy',
    'statemachines',
    'scripts',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
  ]) {
    await cp(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const yml = await readFile(join(ROOT, 'serverless.yml'), 'utf8');
  const changed = edit(yml);
  if (changed === yml) throw new Error('the edit changed nothing in serverless.yml');
  await writeFile(join(dir, 'serverless.yml'), changed);
  return dir;
}

describe('local IAM with the shipped roles', () => {
  let app: LocalApp;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hitl-iam-'));
    app = await startLocal({ root: ROOT, port: 0, dataDir, schedules: false, environment: QUIET_FUNCTIONS });
  }, 120_000);
  afterAll(async () => {
    await app?.idle();
    await app?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses a function's own key what its role does not grant (classify may not write reviews)", async () => {
    const dynamo = new DynamoDBClient({
      endpoint: app.url,
      region: app.wiring.region,
      credentials: app.iam.credentialsFor('classify'),
    });
    const table = app.wiring.environment.REVIEWS_TABLE!;
    const denied = await dynamo
      .send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'REVIEW#x' }, sk: { S: 'META' } } }))
      .catch((e: Error) => e);
    expect(denied).toMatchObject({ name: 'AccessDeniedException' });
    expect((denied as Error).message).toBe(
      `User: arn:aws:sts::000000000000:assumed-role/hitl-gate-dev-classify-eu-west-1-lambdaRole/hitl-gate-dev-classify is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-1:000000000000:table/${table} because no identity-based policy allows the dynamodb:PutItem action`,
    );
  });

  it("allows a function's key what its role grants, and only on the resources named (openReview reads the table)", async () => {
    const dynamo = new DynamoDBClient({
      endpoint: app.url,
      region: app.wiring.region,
      credentials: app.iam.credentialsFor('openReview'),
    });
    const table = app.wiring.environment.REVIEWS_TABLE!;
    await expect(
      dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'REVIEW#x' }, sk: { S: 'META' } } })),
    ).resolves.toBeDefined();
    await expect(
      dynamo.send(new GetItemCommand({ TableName: 'another-table', Key: { pk: { S: 'x' } } })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('refuses a key it never issued, as AWS refuses an unknown access key', async () => {
    const dynamo = new DynamoDBClient({
      endpoint: app.url,
      region: app.wiring.region,
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' },
    });
    await expect(
      dynamo.send(new GetItemCommand({ TableName: 'hitl-gate-dev-reviews', Key: { pk: { S: 'x' }, sk: { S: 'y' } } })),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
  });

  it('refuses a wrong secret for a known key', async () => {
    const dynamo = new DynamoDBClient({
      endpoint: app.url,
      region: app.wiring.region,
      credentials: { accessKeyId: app.iam.credentialsFor('openReview').accessKeyId, secretAccessKey: 'guessed' },
    });
    await expect(
      dynamo.send(new GetItemCommand({ TableName: 'hitl-gate-dev-reviews', Key: { pk: { S: 'x' }, sk: { S: 'y' } } })),
    ).rejects.toMatchObject({ name: 'InvalidSignatureException' });
  });

  it("lets a state machine's role invoke only the functions its definition names", () => {
    const resume = app.iam.roleOf('ResumeStateMachine', 'RoleArn', 'test');
    const fn = (key: string) => app.wiring.functions.find((f) => f.key === key)!.arn;
    expect(() =>
      app.iam.authorize(resume, { action: 'lambda:InvokeFunction', resource: fn('loadOutcome') }),
    ).not.toThrow();
    expect(() => app.iam.authorize(resume, { action: 'lambda:InvokeFunction', resource: fn('decide') })).toThrow(
      /is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:eu-west-1:000000000000:function:hitl-gate-dev-decide/,
    );
    expect(() =>
      app.iam.authorize(resume, {
        action: 'states:StartExecution',
        resource: app.wiring.stateMachines.find((m) => m.key === 'intake')!.arn,
      }),
    ).toThrow(/AccessDenied|not authorized/);
  });

  it('lets a rule invoke a function only where a Lambda permission names that rule', () => {
    const escalate = app.wiring.functions.find((f) => f.key === 'escalate')!.arn;
    const rule = 'arn:aws:events:eu-west-1:000000000000:rule/hitl-dev/hitl-gate-dev-escalate-rule-1';
    expect(app.iam.lambdaPermits(escalate, 'events.amazonaws.com', rule)).toBe(true);
    expect(
      app.iam.lambdaPermits(
        escalate,
        'events.amazonaws.com',
        'arn:aws:events:eu-west-1:000000000000:rule/hitl-dev/someone-elses-rule',
      ),
    ).toBe(false);
    expect(app.iam.lambdaPermits(escalate, 'sns.amazonaws.com', rule)).toBe(false);
  });

  describe("an agent's key, with the stack's AgentPolicy", () => {
    const agent = { accessKeyId: 'agent', secretAccessKey: 'agent' };
    const put = (Source: string, DetailType: string) =>
      new EventBridgeClient({ endpoint: app.url, region: app.wiring.region, credentials: agent }).send(
        new PutEventsCommand({
          Entries: [{ EventBusName: 'hitl-dev', Source, DetailType, Detail: JSON.stringify(purchaseOrder(500)) }],
        }),
      );

    it('may propose an action', async () => {
      await expect(put('agent.procurement', 'Action Proposed')).resolves.toMatchObject({ FailedEntryCount: 0 });
    });

    it("may read a review's status by its id or by its proposal (AgentPolicy's execute-api grants)", async () => {
      const asAgent = (path: string) => signedFetch(app.url, 'GET', path, undefined, 'agent', 'execute-api', 'agent');
      // Unknown reviews: a 404 from the function shows the request got past IAM.
      expect((await asAgent('/agents/agent.procurement/proposals/nothing-yet/status')).status).toBe(404);
      expect((await asAgent(`/reviews/rv-${'0'.repeat(32)}/status`)).status).toBe(404);
      // The same key with a wrong secret is refused before IAM.
      expect(
        (await signedFetch(app.url, 'GET', '/agents/a/proposals/p/status', undefined, 'nope', 'execute-api', 'agent'))
          .status,
      ).toBe(403);
    });

    it('may not publish an outcome, nor anything as hitl-gate', async () => {
      const granted = await put('hitl.gate', 'Approval Granted').catch((e: Error) => e);
      expect(granted).toMatchObject({ name: 'AccessDeniedException' });
      expect((granted as Error).message).toContain(
        'is not authorized to perform: events:PutEvents on resource: arn:aws:events:eu-west-1:000000000000:event-bus/hitl-dev',
      );
      await expect(put('hitl.gate', 'Action Proposed')).rejects.toMatchObject({ name: 'AccessDeniedException' });
      await expect(put('agent.procurement', 'Approval Granted')).rejects.toMatchObject({
        name: 'AccessDeniedException',
      });
    });

    it("is refused hitl-gate's source by the bus's own policy too, as is the account's administrator", async () => {
      const asAdmin = await new EventBridgeClient({
        endpoint: app.url,
        region: app.wiring.region,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      })
        .send(
          new PutEventsCommand({
            Entries: [{ EventBusName: 'hitl-dev', Source: 'hitl.gate', DetailType: 'Approval Granted', Detail: '{}' }],
          }),
        )
        .catch((e: Error) => e);
      expect(asAdmin).toMatchObject({ name: 'AccessDeniedException' });
      expect((asAdmin as Error).message).toContain(
        'with an explicit deny in a resource-based policy (BusPolicy.Statement[0])',
      );
    });

    it('may not read the reviews table directly', async () => {
      const dynamo = new DynamoDBClient({ endpoint: app.url, region: app.wiring.region, credentials: agent });
      await expect(
        dynamo.send(
          new GetItemCommand({
            TableName: app.wiring.environment.REVIEWS_TABLE!,
            Key: { pk: { S: 'x' }, sk: { S: 'y' } },
          }),
        ),
      ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    });
  });

  describe('signatures, checked as strictly as AWS checks them', () => {
    const body = JSON.stringify({
      TableName: 'hitl-gate-dev-reviews',
      Key: { pk: { S: 'REVIEW#x' }, sk: { S: 'META' } },
    });

    /** A DynamoDB GetItem signed with the developer's key; `tamper` changes the request after signing. */
    async function send(
      tamper: (r: { headers: Record<string, string>; body: string }) => void,
      signed: string[] = ['host', 'x-amz-date', 'x-amz-target', 'content-type'],
    ) {
      const url = new URL(app.url);
      const headers: Record<string, string> = {
        host: url.host,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
      };
      const signer = new SignatureV4({
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        region: app.wiring.region,
        service: 'dynamodb',
        sha256: Sha256,
      });
      const out = await signer.sign(
        { method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', headers, body },
        {
          signableHeaders: new Set(signed),
          unsignableHeaders: new Set(Object.keys(headers).filter((h) => !signed.includes(h))),
        },
      );
      const r = { headers: out.headers as Record<string, string>, body };
      tamper(r);
      return new Promise<{ status: number; body: Record<string, string> }>((resolve, reject) => {
        const req = request(
          app.url,
          { method: 'POST', headers: { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) } },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, string> }));
          },
        );
        req.on('error', reject);
        req.end(r.body);
      });
    }

    it('accepts the request as signed', async () => {
      expect((await send(() => undefined)).status).toBe(200);
    });

    it('refuses a body changed after signing', async () => {
      const res = await send((r) => (r.body = r.body.replace('REVIEW#x', 'REVIEW#y')));
      expect(res).toMatchObject({ status: 400, body: { __type: 'InvalidSignatureException' } });
    });

    it('refuses a body changed after signing even when it carries the signed content hash', async () => {
      const res = await send((r) => {
        r.headers['x-amz-content-sha256'] = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
        r.body = r.body.replace('REVIEW#x', 'REVIEW#y');
      });
      expect(res).toMatchObject({ status: 400, body: { __type: 'InvalidSignatureException' } });
    });

    it('refuses a signed header changed after signing', async () => {
      const res = await send((r) => (r.headers['x-amz-target'] = 'DynamoDB_20120810.DeleteItem'));
      expect(res).toMatchObject({ status: 400, body: { __type: 'InvalidSignatureException' } });
    });

    it('refuses a signature that does not sign Host', async () => {
      const res = await send(() => undefined, ['x-amz-date', 'x-amz-target', 'content-type']);
      expect(res).toMatchObject({
        status: 400,
        body: {
          __type: 'InvalidSignatureException',
          message: "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        },
      });
    });

    it('refuses an unsigned request', async () => {
      const res = await send((r) => delete r.headers.authorization);
      expect(res).toMatchObject({ status: 400, body: { __type: 'MissingAuthenticationTokenException' } });
    });
  });
});

/** Local mode for one describe, on a copy of the project whose serverless.yml `edit` changes; its log lines kept. */
function localModeWith(edit: (yml: string) => string) {
  const ctx = { log: [] as string[] } as { app: LocalApp; log: string[] };
  let root: string;
  let dataDir: string;
  beforeAll(async () => {
    root = await projectWith(edit);
    dataDir = await mkdtemp(join(tmpdir(), 'hitl-iam-'));
    ctx.app = await startLocal({
      root,
      port: 0,
      dataDir,
      schedules: false,
      environment: QUIET_FUNCTIONS,
      log: (line) => ctx.log.push(line),
    });
  }, 120_000);
  afterAll(async () => {
    await ctx.app?.idle();
    await ctx.app?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
  });
  return ctx;
}

/** A review as the table holds it, read with the developer's key. */
async function storedReview(app: LocalApp, reviewId: string) {
  const { Item } = await new DynamoDBClient({ endpoint: app.url, region: app.wiring.region }).send(
    new GetItemCommand({
      TableName: app.wiring.environment.REVIEWS_TABLE!,
      Key: { pk: { S: `REVIEW#${reviewId}` }, sk: { S: 'META' } },
    }),
  );
  return Item;
}

describe('a grant removed from serverless.yml', () => {
  // openReview without createReviews: the conditional put that opens a review is no longer allowed.
  const local = localModeWith((yml) =>
    yml.replace(
      'iamRoleStatements: [*readReviews, *createReviews, *queryGrants, *updateReviews]',
      'iamRoleStatements: [*readReviews, *queryGrants, *updateReviews]',
    ),
  );

  it('makes the flow that needs it fail with AccessDeniedException, visibly, as it would in AWS', async () => {
    const { app } = local;
    const proposal = purchaseOrder(5000);
    await putProposals(app.url, [proposal]);
    await app.idle();
    const failed = app.bus.events.find((e) => e.DetailType === 'Intake Failed');
    expect(failed).toBeDefined();
    expect(failed!.Detail).toContain('AccessDeniedException');
    expect(failed!.Detail).toContain('is not authorized to perform: dynamodb:PutItem');
    expect(await storedReview(app, reviewIdFor(proposal.agentId, proposal.proposalId))).toBeUndefined();
  });
});

describe("the durable functions' grant removed from serverless.yml", () => {
  // reportToCaller keeps the task tokens' grant and loses the durable callbacks' one.
  const local = localModeWith((yml) =>
    yml.replace('iamRoleStatements: [*answerCallers, *answerDurableCallers]', 'iamRoleStatements: [*answerCallers]'),
  );

  it('denies the restart its SendDurableExecutionCallbackSuccess: the review stays decided, the agent unanswered', async () => {
    const { app, log } = local;
    // $500 is approved by the policy at once, so intake starts the restart itself.
    const durableCallbackId = Buffer.from(`{"executionId":"${crypto.randomUUID()}"}`).toString('base64');
    const proposal = purchaseOrder(500, { callback: { durableCallbackId } });
    const denials = app.iam.denials;
    await putProposals(app.url, [proposal]);
    await app.idle();
    const reviewId = reviewIdFor(proposal.agentId, proposal.proposalId);
    const resume = app.wiring.stateMachines.find((m) => m.key === 'resume')!.arn;
    const restarts = app.stepFunctions.executions.filter(
      (e) => e.stateMachineArn === resume && (JSON.parse(e.input) as { reviewId?: string }).reviewId === reviewId,
    );
    expect(restarts.map((e) => [e.status, e.error])).toEqual([['FAILED', 'RestartFailed']]);
    expect(app.iam.denials).toBe(denials + 1);
    expect(log.filter((l) => l.startsWith('AccessDeniedException'))).toEqual([
      expect.stringMatching(
        /assumed-role\/hitl-gate-dev-reportToCaller-eu-west-1-lambdaRole\/hitl-gate-dev-reportToCaller is not authorized to perform: lambda:SendDurableExecutionCallbackSuccess on resource: arn:aws:lambda:eu-west-1:000000000000:function:durable-function:\$LATEST\/durable-execution\/local\/[0-9a-f]{32} because no identity-based policy allows/,
      ),
    ]);
    expect(app.durableCallbacks.of(durableCallbackId)).toEqual([]);
    expect((await storedReview(app, reviewId))?.status).toEqual({ S: 'APPROVED' });
  });
});
