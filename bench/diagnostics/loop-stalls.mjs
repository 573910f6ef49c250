// Preload for the hub (node --import): reports every event-loop stall longer than 100 ms (a 10 ms
// interval timer that fired late), with its time since process start, to $SQL_TIMING_OUT or stderr.
//   npm run bench:ingest -- --hub-import ./bench/diagnostics/loop-stalls.mjs --skip baseline,rate
import { writeFileSync } from 'node:fs';

const stalls = [];
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  if (now - last > 110) stalls.push(`stall of ${(now - last - 10).toFixed(0)} ms ending at +${(now / 1000).toFixed(2)} s`);
  last = now;
}, 10).unref();
process.on('exit', () => {
  const text = `${stalls.length} event-loop stalls > 100 ms\n${stalls.join('\n')}\n`;
  if (process.env.SQL_TIMING_OUT) writeFileSync(process.env.SQL_TIMING_OUT, text);
  else process.stderr.write(text);
});
