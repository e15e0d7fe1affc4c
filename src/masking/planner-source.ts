/**
 * The mask planner of the active bundle. Custom detectors are published with the policy
 * (`data.regate.masking.detectors`), so a new bundle may bring new ones: the planner is rebuilt
 * when the bundle's masking data changes, and cached plans go with the old one.
 */
import { maskingOptions, type MaskingConfig } from './config.ts';
import { customDetectorsFromData } from './custom.ts';
import { createMaskPlanner, type MaskPlanner } from './plan.ts';

export function plannerFollowing(config: MaskingConfig, maskingData: () => unknown, onBadDetectors: (err: unknown) => void = () => {}): () => MaskPlanner {
  const options = maskingOptions(config);
  let data: unknown = Symbol('none');
  let planner: MaskPlanner | undefined;
  return () => {
    const now = maskingData();
    if (planner === undefined || now !== data) {
      data = now;
      // A malformed custom detector refuses the detectors, not the gateway: built-ins still apply.
      let customDetectors: ReturnType<typeof customDetectorsFromData> = [];
      try {
        customDetectors = customDetectorsFromData({ regate: { masking: now } });
      } catch (err) {
        // Said loudly: an obligation naming one of these detectors now masks with every detector.
        onBadDetectors(err);
        customDetectors = [];
      }
      planner = createMaskPlanner({ ...options, customDetectors });
    }
    return planner;
  };
}
