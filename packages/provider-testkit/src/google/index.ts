// The fake google server is added here; its public API is re-exported from this file.
export {};
