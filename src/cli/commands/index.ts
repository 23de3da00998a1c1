import type { Command } from 'commander';
import { register as registerServer } from './server';
import { register as registerPlugin } from './plugin';
import { register as registerWorker } from './worker';
import { register as registerWorkerAgent } from './worker-agent';
import { register as registerLocal } from './local';
import { register as registerClean } from './clean';
import { register as registerController } from './controller';
import { register as registerUp } from './up';
import { register as registerOps } from './ops';
import { register as registerValidate } from './validate';
import { register as registerVersion } from './version';
import { register as registerMizar } from './mizar';
import { register as registerMonitor } from './monitor';
import { register as registerCapture } from './capture';
import { register as registerReport } from './report';
import { register as registerAlcor } from './alcor';

/**
 * Every sub-command lives in its own file and exports `register(program)`.
 * Add one line here per command file.
 */
export function registerCommands(program: Command): void {
  void program;
  registerServer(program);
  registerPlugin(program);
  registerWorker(program);
  registerWorkerAgent(program);
  registerLocal(program);
  registerClean(program);
  registerController(program);
  registerUp(program);
  registerOps(program);
  registerValidate(program);
  registerVersion(program);
  registerMizar(program);
  registerMonitor(program);
  registerCapture(program);
  registerReport(program);
  registerAlcor(program);
}
