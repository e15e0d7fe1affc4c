import type { Stage } from '../../src/pipeline/stage.ts';

/**
 * A stage written for the pipeline specs: holds every tools/call of `tool` for `ms`, then lets it
 * go on; a hang-up or a drain (the exchange's abort signal) ends the hold with a reply instead.
 */
export function holdingStage(tool: string, ms: number): Stage {
  return {
    name: 'test.hold',
    request(call) {
      if (call.tool !== tool) return { action: 'continue' };
      return {
        action: 'hold',
        waitingFor: 'a test approver',
        release: new Promise((resolve) => {
          const t = setTimeout(() => resolve({ action: 'continue' }), ms);
          call.exchange.signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve({ action: 'reply' });
          });
        }),
      };
    },
  };
}
