export { type Loop, type LoopEvent, type LoopHealth, type LoopOptions, runLoop } from "./loop.js";
export { type PollOptions, PollTimeoutError, poll, pollIter } from "./poll.js";
export { AbortedError, retryHintOf, sleep } from "./sleep.js";
