import "./styles.css";
import { App } from "./app";

const root = document.getElementById("app");
if (root === null) {
  throw new Error("index.html has no #app element.");
}
void new App(root).start();
