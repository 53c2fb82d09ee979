/** The console's entry: reads config.json, picks its sign-in provider and renders the app. */
import { render } from "preact";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { agentArea } from "./agent/pages";
import { App } from "./app";
import { providerFor } from "./auth";
import { loadConfig } from "./config";
import { operatorArea } from "./operator/pages";

const root = document.getElementById("console");

async function boot(): Promise<void> {
  if (!root) return;
  try {
    const config = await loadConfig();
    render(<App config={config} provider={providerFor(config)} areas={[agentArea, operatorArea]} />, root);
  } catch (error) {
    root.textContent = "";
    const alert = document.createElement("p");
    alert.setAttribute("role", "alert");
    alert.className = "banner error";
    alert.textContent = `The console could not start: ${error instanceof Error ? error.message : String(error)}`;
    root.append(alert);
  }
}

void boot();
