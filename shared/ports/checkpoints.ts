/** Where Ray Train writes checkpoints (Blob Storage, mounted into the pods by BlobFuse2). */
export interface CheckpointStore {
  /**
   * The latest *complete* checkpoint under `prefix` (a blob path like `runs/llama-ft/`), as the
   * full directory path (`runs/llama-ft/checkpoint_000120`), or undefined when there is none.
   * A directory that merely exists is not trusted: it may still be uploading.
   */
  latestComplete(prefix: string): Promise<string | undefined>;
}
