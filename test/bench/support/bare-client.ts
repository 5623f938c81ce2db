/**
 * The ceiling for the collector benchmark: bare `ws` connections carrying the same
 * streams, doing nothing but JSON.parse per message. Prints one JSON line per
 * second with the messages received so far.
 */
import WebSocket from 'ws';

const [wsUrl, streamList, perConnection] = process.argv.slice(2);
const streams = (streamList ?? '').split(',');
const size = Number(perConnection ?? 200);
let received = 0;
let parsedPrices = 0;
for (let i = 0; i < streams.length; i += size) {
  const ws = new WebSocket(`${wsUrl}/stream?streams=${streams.slice(i, i + size).join('/')}`, { perMessageDeflate: false });
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { data?: { p?: string } };
    if (message.data?.p) parsedPrices += 1;
    received += 1;
  });
  ws.on('error', (error) => console.error(error.message));
}
setInterval(() => console.log(JSON.stringify({ received, parsedPrices })), 1000);
