// Preload for the hub (node --import): for every HTTP request, when its connection was accepted,
// when node parsed the request, and when the response finished. Reports requests that took more
// than 500 ms in total, split into the two parts, to $SQL_TIMING_OUT or stderr.
import { writeFileSync } from 'node:fs';
import http from 'node:http';

const slow = [];
let requests = 0;
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, ...args) {
  if (event === 'connection') args[0].__acceptedAt = performance.now();
  if (event === 'request') {
    const [req, res] = args;
    const parsedAt = performance.now();
    const socket = req.socket;
    const first = !socket.__served;
    socket.__served = true;
    const since = first ? socket.__acceptedAt : parsedAt;
    requests++;
    res.once('finish', () => {
      const doneAt = performance.now();
      if (doneAt - since > 500 && slow.length < 50)
        slow.push(`${req.method} ${req.url} ${first ? 'first on its connection: accepted→parsed ' + (parsedAt - since).toFixed(0) + ' ms, ' : ''}parsed→finished ${(doneAt - parsedAt).toFixed(0)} ms, finished at +${(doneAt / 1000).toFixed(2)} s`);
    });
  }
  return emit.call(this, event, ...args);
};
process.on('exit', () => {
  const text = `${requests} requests; ${slow.length} took > 500 ms\n${slow.join('\n')}\n`;
  if (process.env.SQL_TIMING_OUT) writeFileSync(process.env.SQL_TIMING_OUT, text);
  else process.stderr.write(text);
});
