"""Mitsuba 3 references for the published scenes (run by tools/make-references.sh
with the mitsuba-ref virtual environment; the tests never run it).

Each case loads a published scene file unchanged, then renders it through a
small copy of its sensor: the same to_world, near/far clip and reconstruction
filter, the horizontal field of view the scene's own film gives (fov_axis x),
and a film of the case's size. DiffRay's test (PublishedSceneTests) makes the
same small sensor. Also prints the RGB Mitsuba makes of a few spectra, which
SceneFileTests' spectrum test holds.

Every reference is rendered as PASSES (16; PASSES_OF below for some) independent passes (tools/mitsuba_passes.py):
published-<name>.exr holds their mean, published-<name>-var.exr the variance of
that mean per pixel and channel, which the tests' z-test uses.

  python published_references.py OUT_DIR SPP [NAME...]
"""
import os
import sys

import mitsuba as mi
import numpy as np

from mitsuba_passes import render_passes, write_mean_variance

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
PUB = os.path.join(ROOT, 'scenes/published/mitsuba-data')

# name | scene | width x height | -D overrides
CASES = [
    ('cbox-spectral', 'docs/scenes/variants_cbox_spectral.xml', (16, 16), {'max_depth': '6'}),
    ('conductor-gold', 'docs/scenes/bsdf_conductor_gold.xml', (16, 12), {}),
    ('conductor-aluminium', 'docs/scenes/bsdf_conductor_aluminium.xml', (16, 12), {}),
    ('dielectric-diamond', 'docs/scenes/bsdf_dielectric_diamond.xml', (16, 12), {}),
    ('ply-bunny', 'docs/scenes/shape_ply_bunny.xml', (16, 12), {'max_depth': '6'}),
    ('ply-bunny-facet', 'docs/scenes/shape_ply_bunny_facet.xml', (16, 12), {'max_depth': '6'}),
    ('sphere-basic', 'docs/scenes/shape_sphere_basic.xml', (16, 12), {'max_depth': '6'}),
    ('disk', 'docs/scenes/shape_disk.xml', (16, 12), {'max_depth': '6'}),
    ('rectangle', 'docs/scenes/shape_rectangle.xml', (16, 12), {'max_depth': '6'}),
    ('spot-no-texture', 'docs/scenes/emitter_spot_no_texture.xml', (16, 12), {}),
    ('infinite-mirrors', 'tests/scenes/infinite_mirrors/scene.xml', (16, 16), {}),
    ('direct-both', 'docs/scenes/integrator_direct_both.xml', (16, 12), {}),
    # Mitsuba's render regression scenes (tests/scenes/), films shrunk with their aspect ratio kept.
    ('bsdf-spheres-arealight', 'tests/scenes/bsdf_spheres/test_arealight.xml', (24, 24), {}),
    ('bsdf-spheres-constant', 'tests/scenes/bsdf_spheres/test_constant.xml', (24, 24), {}),
    ('bsdf-spheres-envmap', 'tests/scenes/bsdf_spheres/test_envmap.xml', (24, 24), {}),
    ('bsdf-spheres-pointlight', 'tests/scenes/bsdf_spheres/test_pointlight.xml', (24, 24), {}),
    ('bsdf-spheres-normalmap', 'tests/scenes/bsdf_spheres/test_normalmap.xml', (16, 16), {}),
    ('bsdf-spheres-principled1', 'tests/scenes/bsdf_spheres/test_texturedprincipled1.xml', (16, 16), {}),
    ('bsdf-spheres-principled2', 'tests/scenes/bsdf_spheres/test_texturedprincipled2.xml', (16, 16), {}),
    ('floating-sphere-directional', 'tests/scenes/floating_sphere/test_directional.xml', (16, 16), {}),
    ('floating-sphere-directional-direct', 'tests/scenes/floating_sphere/test_directional_direct.xml', (16, 16), {}),
    ('instancing-path', 'tests/scenes/instancing/test_instancing_path.xml', (16, 16), {}),
    ('mesh-attributes-1-face', 'tests/scenes/mesh_attributes/test_mesh_attributes_1_face_direct.xml', (16, 16), {}),
    ('mesh-attributes-3-face', 'tests/scenes/mesh_attributes/test_mesh_attributes_3_face_direct.xml', (16, 16), {}),
    ('mesh-attributes-3-vertex', 'tests/scenes/mesh_attributes/test_mesh_attributes_3_vertex_direct.xml', (16, 16), {}),
    ('orthographic', 'tests/scenes/orthographic_sensor/test_orthographic.xml', (20, 12), {}),
    ('projector-constant', 'tests/scenes/projector/test_projector_constant_direct.xml', (16, 16), {}),
    ('projector-textured', 'tests/scenes/projector/test_projector_textured_direct.xml', (16, 16), {}),
    ('spot', 'tests/scenes/spot_light/test_spot.xml', (16, 16), {}),
    ('spot-direct', 'tests/scenes/spot_light/test_spot_direct.xml', (16, 16), {}),
    ('texture-interp', 'tests/scenes/texture_interp/test_texture_interp.xml', (24, 24), {}),
    ('texture-interp-direct', 'tests/scenes/texture_interp/test_texture_interp_direct.xml', (24, 24), {}),
    ('various-shapes', 'tests/scenes/various_shapes/test_various_shapes.xml', (24, 24), {}),
    ('various-shapes-path', 'tests/scenes/various_shapes/test_various_shapes_path.xml', (24, 24), {}),
    ('bsdf-spheres-normalmap-roughconductor', 'tests/scenes/bsdf_spheres/test_normalmap_roughconductor_path.xml',
     (16, 16), {}),
    ('bsdf-spheres-normalmap-identity-roughconductor',
     'tests/scenes/bsdf_spheres/test_normalmap_identity_roughconductor_path.xml', (16, 16), {}),
    ('mesh-tangents-pole', 'tests/scenes/mesh_tangents/test_tangent_pole_path.xml', (16, 16), {}),
    ('vertex-tangents-anisotropic', 'tests/scenes/vertex_tangents/test_anisotropic_tangents_path.xml', (16, 12), {}),
    # Their default integrator is the particle tracer; as the scene file itself advises for Mitsuba's own
    # reference images, the references are path traced (the same expectation, variance estimated more reliably).
    ('various-emitters', 'tests/scenes/various_emitters/test_various_emitters.xml', (64, 8), {'integrator': 'path'}),
    ('various-emitters-ptracer', 'tests/scenes/various_emitters/test_various_emitters_ptracer.xml', (64, 8),
     {'integrator': 'path'}),
]

# Heavy-tailed scenes whose z-test takes DiffRay's variance from the reference's per-sample variance, as
# Mitsuba's own test does (PublishedSceneTests): that variance must be well estimated, so their references are
# 256 passes of SPP / 256 (255 degrees of freedom instead of 15).
PASSES_OF = {'various-emitters': 256, 'various-emitters-ptracer': 256}


def small_sensor(scene, width, height, to_world=None):
    """The scene's sensor with a `width` x `height` film (and `to_world` when given)."""
    sensor = scene.sensors()[0]
    params = mi.traverse(sensor)
    film = sensor.film()
    text = str(film.rfilter()).lower()
    kind = next(k for k in ['box', 'tent', 'gaussian'] if text.startswith(k))
    common = {
        'near_clip': float(sensor.near_clip()),
        'far_clip': float(sensor.far_clip()),
        'to_world': to_world if to_world is not None
        else mi.ScalarTransform4f(np.array(params['to_world'].matrix).reshape(4, 4).tolist()),
        'film': {'type': 'hdrfilm', 'width': width, 'height': height, 'rfilter': {'type': kind},
                 'pixel_format': 'rgb'},
        'sampler': {'type': 'independent'},
    }
    if 'orthographic' in str(sensor).lower().split('[')[0]:
        return mi.load_dict({'type': 'orthographic', **common})
    return mi.load_dict({'type': 'perspective', 'fov': float(np.array(params['x_fov']).ravel()[0]), 'fov_axis': 'x',
                         **common})


def spectra():
    """The RGB of a few spectra in an RGB variant, read back from the loaded objects."""
    s = mi.load_string('''<scene version="3.0.0">
<bsdf type="diffuse" id="r"><spectrum name="reflectance" value="400:0.04, 500:0.3, 600:0.6, 700:0.64"/></bsdf>
<bsdf type="conductor" id="c"><spectrum name="eta" value="300:1.8, 400:1.65, 500:0.9, 600:0.2, 700:0.16, 800:0.18"/>
  <spectrum name="k" value="300:1.92, 400:1.95, 500:1.95, 600:2.97, 700:3.8, 800:5.12"/></bsdf>
<shape type="sphere" id="lamp"><ref id="r"/><emitter type="area"><spectrum name="radiance" value="400:0, 500:8, 600:15.6, 700:18.4"/></emitter></shape>
<shape type="sphere"><ref id="c"/></shape>
<emitter type="constant" id="sky"><spectrum name="radiance" value="400:1, 700:1"/></emitter>
<bsdf type="plastic" id="p"><spectrum name="specular_reflectance" value="400:0.2, 500:0.4, 600:0.6"/>
  <spectrum name="diffuse_reflectance" filename="%s"/></bsdf>
<shape type="sphere"><ref id="p"/></shape>
<emitter type="point" id="flat"><spectrum name="intensity" value="0.1"/></emitter>
</scene>''' % os.path.join(ROOT, 'Tests/Fixtures/spectra/flat-half.spd'))
    p = mi.traverse(s)
    for key in ['r.reflectance.value', 'c.eta.value', 'c.k.value', 'lamp.emitter.radiance.value', 'sky.radiance.value',
                'p.specular_reflectance.value', 'p.diffuse_reflectance.value', 'flat.intensity.value']:
        print('spectrum', key, list(p[key]))


def main():
    out, spp = sys.argv[1], int(sys.argv[2])
    passes = int(os.environ.get('PASSES', '16'))
    only = sys.argv[3:]
    mi.set_variant(os.environ.get('MITSUBA_VARIANT', 'llvm_ad_rgb'))
    spectra()
    for name, path, (w, h), defines in CASES:
        if only and name not in only:
            continue
        scene = mi.load_file(os.path.join(PUB, path), **defines)
        target = os.path.join(out, 'published-%s.exr' % name)
        write_mean_variance(render_passes(scene, spp, PASSES_OF.get(name, passes), small_sensor(scene, w, h)), target)
        print(name, target)


if __name__ == '__main__':
    main()
