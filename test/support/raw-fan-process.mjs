/* global process, setTimeout, clearTimeout */
// A child process holding many raw waiting-room sockets for a test (its own file-descriptor
// budget: 10,000 client sockets and their 10,000 server ends do not fit in one process).
// Messages from the parent: {open: {urls, tokens}}, {report: true}, {close: true}.
// Answers: {opened: n} | {error}, {report: {minLastFrame, statusesPerFan: [min, max], frames}}.
import { WebSocket } from 'ws';

const fans = [];

function rawFan(baseUrl, token) {
  const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const fan = { ws, lastFrame: 0, frames: 0, statuses: 0 };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('no connect')), 60_000);
    const fail = (err) => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    ws.on('error', fail);
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('42/queue,["queue:progress",')) {
        fan.frames++;
        fan.lastFrame = Number(/"tick":(\d+)/.exec(text)?.[1]);
      } else if (text.startsWith('42/queue,["queue:status",')) fan.statuses++;
      else if (text === '2') ws.send('3');
      else if (text.startsWith('0')) ws.send(`40/queue,${JSON.stringify({ token })}`);
      else if (text.startsWith('40/queue,')) {
        clearTimeout(timer);
        resolve(fan);
      } else if (text.startsWith('44/queue,')) fail(new Error(`refused: ${text}`));
    });
  });
}

async function open({ urls, tokens }) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (next < tokens.length) {
        const i = next++;
        fans.push(await rawFan(urls[i % urls.length], tokens[i]));
      }
    }),
  );
}

process.on('message', (msg) => {
  if (msg.open) {
    open(msg.open).then(
      () => process.send({ opened: fans.length }),
      (err) => process.send({ error: err.message }),
    );
  } else if (msg.report) {
    let minLastFrame = Infinity;
    let minStatuses = Infinity;
    let maxStatuses = 0;
    let frames = 0;
    for (const f of fans) {
      minLastFrame = Math.min(minLastFrame, f.lastFrame);
      minStatuses = Math.min(minStatuses, f.statuses);
      maxStatuses = Math.max(maxStatuses, f.statuses);
      frames += f.frames;
    }
    process.send({ report: { minLastFrame, statusesPerFan: [minStatuses, maxStatuses], frames } });
  } else if (msg.close) {
    for (const f of fans) f.ws.terminate();
    process.exit(0);
  }
});
process.send({ ready: true });
