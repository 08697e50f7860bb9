// The in-memory ReviewStore the use-case tests run on answers the store contract exactly as the DynamoDB
// adapter does on dynalite and DynamoDB Local (test/integration/store-fidelity.test.ts runs the same scenario).
import { MemoryReviewStore } from '../support/memory-store.ts';
import { EXPECTED, scenario } from '../support/store-contract.ts';

it('answers the store contract as the DynamoDB adapter does', async () => {
  const r = await scenario(new MemoryReviewStore());
  expect(r).toMatchObject(EXPECTED);
  expect(r.due).toEqual(r.expectedDue);
  expect(r.inbox).toEqual(r.expectedInbox);
});
