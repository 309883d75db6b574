#!/usr/bin/env node
// The floor under any gateway on this machine: what a process in the middle adds before it does
// anything a gateway does. Started by gateway.mjs beside LLM Lab's gateway, in the same run:
//
//   node tooling/bench/gateway-floor.mjs relay PORT UPSTREAM_PORT   a TCP relay: bytes copied both
//                                                                   ways, no HTTP parsed at all
//   node tooling/bench/gateway-floor.mjs proxy PORT UPSTREAM_PORT   the least an HTTP proxy does:
//                                                                   Node's http server and a
//                                                                   keep-alive agent, the body
//                                                                   parsed and written again
//
// Neither is a gateway (no routing, keys, retries, metrics or records); they show how much of a
// gateway's added latency the machine itself costs: a second process's wake-ups and two more
// loopback hops on shared cores.
import http from 'node:http';
import net from 'node:net';

const [mode, port, upstreamPort] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
if (!['relay', 'proxy'].includes(mode) || !port || !upstreamPort) {
  console.error('usage: node gateway-floor.mjs relay|proxy PORT UPSTREAM_PORT');
  process.exit(2);
}

if (mode === 'relay') {
  net
    .createServer((client) => {
      const upstream = net.connect(upstreamPort, '127.0.0.1');
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
    })
    .listen(port, '127.0.0.1', () => console.log(`relay on ${port}`));
} else {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const readAll = (stream, done) => {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
  };
  http
    .createServer((req, res) => {
      if (req.method === 'GET') {
        res.end('{"status":"ok"}');
        return;
      }
      readAll(req, (text) => {
        const body = JSON.stringify(JSON.parse(text));
        const upstream = http.request(
          { host: '127.0.0.1', port: upstreamPort, path: req.url, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: req.headers.authorization ?? '' } },
          (answer) => {
            if ((answer.headers['content-type'] ?? '').startsWith('text/event-stream')) {
              res.writeHead(answer.statusCode, { 'content-type': answer.headers['content-type'] });
              answer.pipe(res);
              return;
            }
            readAll(answer, (reply) => {
              const out = JSON.stringify(JSON.parse(reply));
              res.writeHead(answer.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
              res.end(out);
            });
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      });
    })
    .listen(port, '127.0.0.1', () => console.log(`proxy on ${port}`));
}
