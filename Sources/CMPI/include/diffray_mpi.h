#ifndef DIFFRAY_MPI_H
#define DIFFRAY_MPI_H
#include <stddef.h>

/// Open MPI reached through its C API, loaded at run time: `diffray_mpi_open`
/// dlopens Debian's libmpi.so.40 and looks up the few functions and predefined
/// handles DiffRay uses, so the package builds and runs without MPI installed.
/// Every call below is collective over MPI_COMM_WORLD unless said otherwise,
/// and made from one thread (MPI_THREAD_FUNNELED). Open MPI's default error
/// handler ends the job on a communication failure (a rank that died).

/// Loads the library; 0 on success, else -1 with a reason in `error`.
int diffray_mpi_open(const char *_Nonnull library, char *_Nonnull error, size_t length);
/// MPI_Init_thread(FUNNELED), then this process's rank and the world's size; 0 on success.
int diffray_mpi_init(int *_Nonnull rank, int *_Nonnull size);
/// MPI_Allgatherv of doubles: `count` from each rank, `counts[r]` at `displacements[r]` in `all`.
int diffray_mpi_allgatherv_double(const double *_Nullable mine, int count, double *_Nullable all,
                                  const int *_Nonnull counts, const int *_Nonnull displacements);
/// MPI_Allgather of one 64-bit integer per rank into `all` (size entries).
int diffray_mpi_allgather_int64(long long mine, long long *_Nonnull all);
/// MPI_Send of `count` doubles to rank `destination` (point to point, not collective).
int diffray_mpi_send_double(const double *_Nullable values, int count, int destination, int tag);
/// MPI_Recv of `count` doubles from rank `source` (point to point, not collective).
int diffray_mpi_receive_double(double *_Nullable values, int count, int source, int tag);
/// MPI_Bcast of `bytes` bytes from `root`.
int diffray_mpi_broadcast(void *_Nullable buffer, int bytes, int root);
int diffray_mpi_barrier(void);
/// MPI_Abort on MPI_COMM_WORLD: ends every rank of the job with `status`.
void diffray_mpi_abort(int status);
int diffray_mpi_finalize(void);
#endif
