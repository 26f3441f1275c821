// Embree 3's C API (Debian's libembree-dev) and the few helpers DiffRay's
// intersection core needs around it: one query record that carries the
// double-precision ray to the analytic shapes' callbacks, and accessors for
// the single-ray (N = 1) layouts those callbacks receive.
#include <embree3/rtcore.h>

/// One ray query. Embree passes `&context` to the user-geometry callbacks,
/// which read the ray in doubles from the fields after it (Embree's documented
/// way of extending the intersection context).
typedef struct DiffRayRayQuery {
    struct RTCIntersectContext context;  // first, so that a context pointer is a query pointer
    double ox, oy, oz, dx, dy, dz;       // the ray in doubles
    double tMin, tMax;
    /// The hit: Embree's single-precision one for a triangle; the double-precision
    /// one of the last analytic primitive accepted (`userGeomID`) otherwise.
    double t, u, v;
    unsigned int geomID, primID, userGeomID;
} DiffRayRayQuery;

/// The single-precision ray of a query: origin and direction rounded to float,
/// [tMin, tMax] rounded to float.
static inline struct RTCRay diffray_ray(const DiffRayRayQuery *q) {
    struct RTCRay r;
    r.org_x = (float)q->ox; r.org_y = (float)q->oy; r.org_z = (float)q->oz;
    r.dir_x = (float)q->dx; r.dir_y = (float)q->dy; r.dir_z = (float)q->dz;
    r.tnear = (float)q->tMin; r.tfar = (float)q->tMax; r.time = 0;
    r.mask = 0xFFFFFFFFu; r.id = 0; r.flags = 0;
    return r;
}

/// Closest hit: fills `geomID` (RTC_INVALID_GEOMETRY_ID for none), `primID`, `t`, `u`, `v`.
static inline void diffray_intersect(RTCScene scene, DiffRayRayQuery *q) {
    rtcInitIntersectContext(&q->context);
    q->userGeomID = RTC_INVALID_GEOMETRY_ID;
    struct RTCRayHit rh;
    rh.ray = diffray_ray(q);
    rh.hit.geomID = RTC_INVALID_GEOMETRY_ID;
    rh.hit.primID = RTC_INVALID_GEOMETRY_ID;
    rh.hit.instID[0] = RTC_INVALID_GEOMETRY_ID;
    rtcIntersect1(scene, &q->context, &rh);
    q->geomID = rh.hit.geomID;
    q->primID = rh.hit.primID;
    if (rh.hit.geomID != RTC_INVALID_GEOMETRY_ID && rh.hit.geomID != q->userGeomID) {
        q->t = rh.ray.tfar; q->u = rh.hit.u; q->v = rh.hit.v;
    }
}

/// Whether anything lies along the ray within [tMin, tMax].
static inline int diffray_occluded(RTCScene scene, DiffRayRayQuery *q) {
    rtcInitIntersectContext(&q->context);
    struct RTCRay r = diffray_ray(q);
    rtcOccluded1(scene, &q->context, &r);
    return r.tfar < 0;
}

/// The current far distance of the one ray (N = 1) an intersect callback is given.
static inline float diffray_hit_tfar(struct RTCRayHitN *rayhit) { return ((struct RTCRayHit *)rayhit)->ray.tfar; }

/// Records a hit of primitive `primID` of geometry `geomID` at `t` on the one ray an intersect callback is given.
static inline void diffray_hit_accept(struct RTCRayHitN *rayhit, float t, unsigned int geomID, unsigned int primID) {
    struct RTCRayHit *rh = (struct RTCRayHit *)rayhit;
    rh->ray.tfar = t;
    rh->hit.u = 0; rh->hit.v = 0;
    rh->hit.Ng_x = 0; rh->hit.Ng_y = 0; rh->hit.Ng_z = 1;
    rh->hit.geomID = geomID; rh->hit.primID = primID;
    rh->hit.instID[0] = RTC_INVALID_GEOMETRY_ID;
}

/// The current far distance of the one ray (N = 1) an occluded callback is given.
static inline float diffray_ray_tfar(struct RTCRayN *ray) { return ((struct RTCRay *)ray)->tfar; }

/// Marks the one ray an occluded callback is given as blocked (Embree's convention: tfar = −∞).
static inline void diffray_ray_block(struct RTCRayN *ray) { ((struct RTCRay *)ray)->tfar = -__builtin_inff(); }
