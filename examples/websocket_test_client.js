// devserver's copy of seed 003's WebSocket test client (shared/seeds/003_32fa21547bbee712.txt, "Client-Side
// Implementation"), working against devserver: connect, subscribe, start a test generation, show progress.
// A file, not an inline script, so the page runs under devserver's Content-Security-Policy (script-src 'self').
// Following every run (job_ids: null) is for admins: the server machine itself while no admin token is configured,
// else the admin token in the subscribe message (a browser cannot set headers on a WebSocket). Without it the
// page follows the runs it starts, by their job_ids, which is open to everyone.
"use strict";

const wsUrl = () => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/ws/progress`;
const $ = (id) => document.getElementById(id);
let ws = null;

function log(text) {
  const line = document.createElement("li");
  line.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  $("log").prepend(line);
}

function setStatus(text) {
  $("status").textContent = text;
}

function connect() {
  if (ws && ws.readyState <= WebSocket.OPEN) return;
  // --- the seed's example client, unchanged except for the URL (this server) and the UI updates ---
  ws = new WebSocket(wsUrl());

  ws.onopen = () => {
    console.log("WebSocket connected!");
    log("WebSocket connected!");
    setStatus("connected");
    $("connect").disabled = true;
    $("disconnect").disabled = false;
    // Subscribe to all job updates (admin: the token, if typed, goes with the message)
    const token = $("token").value.trim();
    ws.send(JSON.stringify({ type: "subscribe", job_ids: null, ...(token ? { token } : {}) }));
  };

  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);

    if (message.type === "progress_update") {
      const { job_id, progress, status } = message.data;
      console.log(`Job ${job_id} is ${status} at ${progress * 100}%`);
      // Update your UI progress bar here
      $("progress").value = progress;
      $("progress-text").textContent = `Job ${job_id} is ${status} at ${Math.round(progress * 100)}% ` +
        `(step ${message.data.step} of ${message.data.total_steps})`;
    } else if (message.type === "generation_complete") {
      console.log("Generation finished!", message.data);
      $("progress").value = 1;
      $("progress-text").textContent = `Job ${message.data.job_id} finished.`;
      const image = $("result");
      image.src = message.data.media_output.url;
      image.alt = `Image of job ${message.data.job_id}, seed ${message.data.media_output.seed}`;
      image.hidden = false;
    } else if (message.type === "error" && message.data.code.startsWith("admin_token")) {
      setStatus("connected: only the runs started here (all runs need the admin token)");
    }
    log(`${message.type} ${JSON.stringify(message.data)}`);
  };

  ws.onclose = () => {
    console.log("WebSocket disconnected.");
    log("WebSocket disconnected.");
    setStatus("disconnected");
    $("connect").disabled = false;
    $("disconnect").disabled = true;
  };
  // --- end of the seed's client ---
}

async function startGeneration() {
  const prompt = $("prompt").value.trim() || "a red fox in the snow";
  const response = await fetch("/api/schema/pipeline/generation", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ prompt, language: "en", async: true,
                           parameters: { width: 64, height: 64, steps: Number($("steps").value) || 8 } }),
  });
  const body = await response.json();
  if (response.status === 202) {
    log(`queued job ${body.run_id} (position ${body.position})`);
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: "subscribe", job_ids: [body.run_id] }));  // open to everyone: my own run
    }
    $("progress").value = 0;
    $("progress-text").textContent = `Job ${body.run_id} is queued.`;
  } else {
    log(`the server answered ${response.status}: ${body.reason || (body.error && body.error.message)}`);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("connect").addEventListener("click", connect);
  $("disconnect").addEventListener("click", () => ws && ws.close());
  $("generate").addEventListener("click", startGeneration);
  $("curl").textContent = `curl -X POST ${location.origin}/api/schema/pipeline/generation ` +
    `-H 'Content-Type: application/json' -d '{"prompt": "a red fox", "language": "en", "async": true, ` +
    `"parameters": {"width": 64, "height": 64, "steps": 8}}'`;
});
