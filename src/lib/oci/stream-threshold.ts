/** Layers at least this large are streamed from a registry (hashed, cached and unpacked as they arrive). */
export const STREAM_LAYER_THRESHOLD_BYTES = 4 * 1024 * 1024
