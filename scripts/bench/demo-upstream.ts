/** The demo CRM in its own process, for the proxy benchmark. */
import { startDemoServer } from '../../src/demo/demo-server.ts';

const demo = await startDemoServer({ requiredToken: process.env.DEMO_TOKEN ?? 'bench' });
console.log(`listening ${demo.url}`);
