// Seed 003's example client (shared/seeds/003_32fa21547bbee712.txt, "Client-Side Implementation"), verbatim except
// for the URL (argv[2]); run with `node --experimental-websocket` (Node 20's global WebSocket).
// The lines after the seed's code only help the test: say when the subscription is confirmed, stop after completion.
const url = process.argv[2];

// ---- seed 003, unchanged from here ----
// Example client-side JavaScript
const ws = new WebSocket(url);

ws.onopen = () => {
    console.log('WebSocket connected!');
    // Subscribe to all job updates
    ws.send(JSON.stringify({ type: 'subscribe', job_ids: null }));
};

ws.onmessage = (event) => {
    const message = JSON.parse(event.data);

    if (message.type === 'progress_update') {
        const { job_id, progress, status } = message.data;
        console.log(`Job ${job_id} is ${status} at ${progress * 100}%`);
        // Update your UI progress bar here
    } else if (message.type === 'generation_complete') {
        console.log('Generation finished!', message.data);
    }
};

ws.onclose = () => {
    console.log('WebSocket disconnected.');
};
// ---- end of seed 003 ----

ws.addEventListener('message', (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'subscribed') console.log('TEST: subscribed');
    if (message.type === 'generation_complete') ws.close();
});
setTimeout(() => { console.log('TEST: timeout'); process.exit(2); }, 60000).unref();
