import assert from 'node:assert/strict';
import { answersForms } from '../../../src/mcp/elicitation.ts';

describe('form elicitation as a client declares it', () => {
  it('2025-06-18 `elicitation: {}` and 2025-11-25 `{form: {}}` mean forms; url alone does not', () => {
    assert.equal(answersForms({ elicitation: {} }), true);
    assert.equal(answersForms({ elicitation: { form: {} } }), true);
    assert.equal(answersForms({ elicitation: { form: {}, url: {} } }), true);
    assert.equal(answersForms({ elicitation: { url: {} } }), false);
    assert.equal(answersForms({ sampling: {} }), false);
    assert.equal(answersForms(undefined), false);
    assert.equal(answersForms({ elicitation: true }), false);
  });
});
