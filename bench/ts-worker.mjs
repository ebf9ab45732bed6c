// Worker threads do not inherit tsx's module hooks (privatenumber/tsx#354), so
// bench threads start here: register tsx, then load the TypeScript module.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.module);
