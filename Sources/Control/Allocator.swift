import CSupport

/// Sets the C allocator up for the training and pixel loops, once per process:
/// freed blocks are kept instead of being returned to the system (glibc's
/// `mallopt`: mmap threshold 32 MiB, trim threshold 256 MiB). The pixel loop's
/// per-frame buffers (images, Jacobian columns, per-tile sums) were otherwise
/// page-faulted in again every frame: ≈ 100 faults per 64×64 gradient frame.
/// The trainers and `PixelObservation` call it; a program may call it first
/// to give its own renders the same setting. Nothing happens where glibc is absent.
public func configureAllocator() {
    _ = allocatorConfigured
}

private let allocatorConfigured: Void = {
    #if os(Linux)
    diffray_keep_freed_memory()
    #endif
}()
