// The only entry point of @ganscope/tools; every other module is internal.

export { createReaderProject, readExperimentFile, readExperimentSource, readExperimentText } from "./experiment-reader.js";
export type { StaticAxis, StaticExperiment, StaticIssue, StaticIssueCode } from "./experiment-reader.js";
export { containsUnreadable, Unreadable } from "./static-value.js";
export type { Evaluated, StaticValue } from "./static-value.js";
export { findExperimentFiles, packageClosure, workspacePackages, workspaceRoot } from "./workspace.js";
export type { WorkspacePackage } from "./workspace.js";
