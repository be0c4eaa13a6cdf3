// The CLI in-process with captured output: main() on argv, its exit code, stdout and stderr.
import { main } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/outcome.ts';

export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), interactive: false };
  const code = await main(argv, io);
  return { code, out, err };
}
