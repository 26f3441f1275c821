#include "diffray_mpi.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

// Open MPI's handles are addresses of predefined globals (mpi.h:
// `#define MPI_COMM_WORLD ((MPI_Comm) &ompi_mpi_comm_world)`), so dlsym of the
// global's name is the handle itself. Types as opaque pointers keep this file
// free of mpi.h.
typedef void *handle;
static handle comm_world, type_double, type_long_long, type_byte;
static int (*init_thread)(int *, char ***, int, int *);
static int (*comm_rank)(handle, int *);
static int (*comm_size)(handle, int *);
static int (*allgatherv)(const void *, int, handle, void *, const int *, const int *, handle, handle);
static int (*allgather)(const void *, int, handle, void *, int, handle, handle);
static int (*send)(const void *, int, handle, int, int, handle);
static int (*recv)(void *, int, handle, int, int, handle, void *);
static int (*bcast)(void *, int, handle, int, handle);
static int (*barrier)(handle);
static int (*mpi_abort)(handle, int);
static int (*finalize)(void);

#define MPI_THREAD_FUNNELED_VALUE 1

int diffray_mpi_open(const char *library, char *error, size_t length) {
    // RTLD_GLOBAL: Open MPI's components, dlopened by libmpi itself, resolve their symbols against it.
    void *lib = dlopen(library, RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(error, length, "%s", why ? why : library);
        return -1;
    }
    struct { const char *name; void **slot; } wanted[] = {
        {"ompi_mpi_comm_world", (void **)&comm_world},
        {"ompi_mpi_double", (void **)&type_double},
        {"ompi_mpi_long_long_int", (void **)&type_long_long},
        {"ompi_mpi_byte", (void **)&type_byte},
        {"MPI_Init_thread", (void **)&init_thread},
        {"MPI_Comm_rank", (void **)&comm_rank},
        {"MPI_Comm_size", (void **)&comm_size},
        {"MPI_Allgatherv", (void **)&allgatherv},
        {"MPI_Allgather", (void **)&allgather},
        {"MPI_Send", (void **)&send},
        {"MPI_Recv", (void **)&recv},
        {"MPI_Bcast", (void **)&bcast},
        {"MPI_Barrier", (void **)&barrier},
        {"MPI_Abort", (void **)&mpi_abort},
        {"MPI_Finalize", (void **)&finalize},
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        *wanted[i].slot = dlsym(lib, wanted[i].name);
        if (!*wanted[i].slot) {
            snprintf(error, length, "%s has no symbol %s (not Open MPI?)", library, wanted[i].name);
            return -1;
        }
    }
    return 0;
}

int diffray_mpi_init(int *rank, int *size) {
    int provided = 0;
    int status = init_thread(NULL, NULL, MPI_THREAD_FUNNELED_VALUE, &provided);
    if (status != 0) return status;
    if ((status = comm_rank(comm_world, rank)) != 0) return status;
    return comm_size(comm_world, size);
}

int diffray_mpi_allgatherv_double(const double *mine, int count, double *all, const int *counts, const int *displacements) {
    return allgatherv(mine, count, type_double, all, counts, displacements, type_double, comm_world);
}

int diffray_mpi_allgather_int64(long long mine, long long *all) {
    return allgather(&mine, 1, type_long_long, all, 1, type_long_long, comm_world);
}

int diffray_mpi_send_double(const double *values, int count, int destination, int tag) {
    return send(values, count, type_double, destination, tag, comm_world);
}

// MPI_STATUS_IGNORE is a null pointer in Open MPI's mpi.h.
int diffray_mpi_receive_double(double *values, int count, int source, int tag) {
    return recv(values, count, type_double, source, tag, comm_world, NULL);
}

int diffray_mpi_broadcast(void *buffer, int bytes, int root) { return bcast(buffer, bytes, type_byte, root, comm_world); }

int diffray_mpi_barrier(void) { return barrier(comm_world); }

void diffray_mpi_abort(int status) { mpi_abort(comm_world, status); }

int diffray_mpi_finalize(void) { return finalize(); }
