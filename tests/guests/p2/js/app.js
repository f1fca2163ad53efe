// A wasi:cli/command in JavaScript (jco componentize / StarlingMonkey): args, an env
// var, stdin, a file in a preopened dir, the clocks and an exit status, printed so the
// test can compare.
import { getArguments, getEnvironment } from 'wasi:cli/environment@0.2.0';
import { getStdin } from 'wasi:cli/stdin@0.2.0';
import { exit } from 'wasi:cli/exit@0.2.0';
import { getDirectories } from 'wasi:filesystem/preopens@0.2.0';
import { now as monotonicNow } from 'wasi:clocks/monotonic-clock@0.2.0';
import { now as wallNow } from 'wasi:clocks/wall-clock@0.2.0';

function readAll(stream) {
  const chunks = [];
  for (;;) {
    try {
      chunks.push(stream.blockingRead(4096n));
    } catch (e) {
      if (e.payload && e.payload.tag === 'closed') break;
      throw e;
    }
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  return new TextDecoder().decode(all);
}

export const run = {
  run() {
    console.log(`args: ${JSON.stringify(getArguments().slice(1))}`);
    const env = new Map(getEnvironment());
    console.log(`GREETING: ${env.get('GREETING')}`);
    const data = readAll(getStdin());
    console.log(`stdin: ${JSON.stringify(data)}`);
    const t0 = monotonicNow();
    const t1 = monotonicNow();
    console.log(`monotonic: ${t1 >= t0}`);
    console.log(`wall clock after 2020: ${wallNow().seconds > 1577836800n}`);
    const [dir, name] = getDirectories()[0];
    console.log(`preopen: ${name}`);
    const file = dir.openAt({}, 'result.txt', { create: true, truncate: true }, { write: true });
    const bytes = new TextEncoder().encode(`upper: ${data.toUpperCase()}`);
    file.write(bytes, 0n);
    console.log(`size: ${file.stat().size}`);
    console.error('to stderr');
    const status = env.get('STATUS');
    if (status === 'fail') exit({ tag: 'err' });
  },
};
