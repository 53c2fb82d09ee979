/** The operators' pages (report, live view, staffing, settings, decision log): one entry each,
 * in the order of the navigation. Each page lives in its own file of src/operator/. */
import type { Area, ConsolePage } from "../pages";
import { livePage } from "./live";
import { reportPage } from "./report";
import { staffingPage } from "./staffing";

export const operatorPages: ConsolePage[] = [
  reportPage,
  livePage,
  staffingPage,
];

export const operatorArea: Area = {
  role: "operator",
  pages: operatorPages,
};
