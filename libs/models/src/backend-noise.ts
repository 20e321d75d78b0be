/**
 * Lines libtensorflow prints on stderr when it loads, whatever
 * TF_CPP_MIN_LOG_LEVEL says: absl logs to stderr before it is initialised,
 * and on CPUs where oneDNN is on by default (Intel with AVX-512/AMX, AMD Zen 4)
 * TensorFlow announces it. Dawn (the webgpu backend) says from native code,
 * for every adapter it opens, that it capped two limits tfjs never comes
 * near (it binds no dynamic buffers). Notices, not problems; one pair per process would
 * bury the progress display and break every caller that reads stderr for
 * errors. The one list every command that loads the backend filters with.
 */
const BACKEND_NOISE: readonly RegExp[] = [
  /^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$/,
  /^I0000 [\d:. ]+ port\.cc:\d+\] oneDNN custom operations are on\./,
  /^I0000 [\d:. ]+ cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized to use available CPU instructions/,
  /^To enable the following instructions: [A-Z0-9_ ]+, in other operations, rebuild TensorFlow with the appropriate compiler flags\.$/,
  /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/,
];

/** Whether a stderr line is one of the backend's start-up notices (see BACKEND_NOISE). */
export function isBackendNoise(line: string): boolean {
  return BACKEND_NOISE.some((re) => re.test(line));
}
