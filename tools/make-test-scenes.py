#!/usr/bin/env python3
"""Writes the small one-plugin scenes of the Mitsuba 3 reference tests into
Tests/Fixtures/scenes/ (committed; rerun after editing this file, then
tools/make-references.sh). Every scene is 24x24 unless it says otherwise; paths
to meshes and the sky are relative to the scene file, as Mitsuba resolves them.

Usage: python3 tools/make-test-scenes.py   (from anywhere)
"""
import os

from reference_scene import PATH, SKY, SKY_LIGHT, scene_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'Tests/Fixtures/scenes')
MESHES = '../../../scenes/meshes'


def scene(body, integrator=PATH, rfilter='<rfilter type="gaussian"/>', width=24, height=24, origin='0, 1.3, 4.2',
          target='0, 0.45, 0', fov=40, floor=True):
    return scene_file('make-test-scenes.py', body, integrator, 'type="perspective"', f'<float name="fov" value="{fov}"/>',
                      width, height, origin, target, floor, 16, rfilter)


CHECKER = '''<texture type="checkerboard" name="reflectance">
                <rgb name="color0" value="0.15, 0.3, 0.8"/>
                <rgb name="color1" value="0.9, 0.85, 0.7"/>{to_uv}
            </texture>'''


def checker(scale=None):
    to_uv = f'\n                <transform name="to_uv"><scale value="{scale}"/></transform>' if scale else ''
    return CHECKER.format(to_uv=to_uv)


# The grey diffuse material of the emitter and integrator cases.
GREY = '<bsdf type="diffuse"><rgb name="reflectance" value="0.7, 0.7, 0.7"/></bsdf>'


def sphere(bsdf, center='0, 0.6, 0', radius=0.6, extra=''):
    return f'''    <shape type="sphere">
        <point name="center" value="{center}"/>
        <float name="radius" value="{radius}"/>{extra}
        {bsdf}
    </shape>'''


def bsdf_scene(bsdf):
    return scene(sphere(bsdf) + '\n' + SKY_LIGHT)


AREA_LIGHT = '''    <shape type="rectangle" id="light">
        <transform name="to_world"><scale value="0.5"/><rotate x="1" angle="90"/><translate value="0.3, 2.2, 0.4"/></transform>
        <emitter type="area"><rgb name="radiance" value="12, 11, 9"/></emitter>
    </shape>'''

SCENES = {
    # Shapes (with uv-dependent textures where the shape has uvs).
    'shape-sphere': scene(f'''    <shape type="sphere">
        <transform name="to_world"><scale value="0.6"/><translate value="0, 0.6, 0"/></transform>
        <bsdf type="diffuse">{checker(4)}</bsdf>
    </shape>
''' + SKY_LIGHT),
    # Mitsuba computes a sphere's uv in object space (to_world's rotation turns the texture).
    'shape-sphere-rotated': scene(f'''    <shape type="sphere">
        <transform name="to_world"><rotate x="1" angle="-70"/><scale value="0.6"/><translate value="0, 0.6, 0"/></transform>
        <bsdf type="diffuse">{checker(4)}</bsdf>
    </shape>
''' + SKY_LIGHT),
    'shape-rectangle': scene(f'''    <shape type="rectangle">
        <transform name="to_world"><scale value="0.7"/><rotate y="1" angle="25"/><translate value="0, 0.8, 0"/></transform>
        <bsdf type="twosided"><bsdf type="diffuse">{checker(3)}</bsdf></bsdf>
    </shape>
''' + SKY_LIGHT),
    'shape-cube': scene('''    <shape type="cube">
        <transform name="to_world"><scale value="0.5"/><rotate y="1" angle="30"/><rotate x="1" angle="20"/><translate value="0, 0.75, 0"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.7, 0.4, 0.2"/></bsdf>
    </shape>
''' + SKY_LIGHT),
    'shape-disk': scene(f'''    <shape type="disk">
        <transform name="to_world"><scale value="0.75"/><rotate y="1" angle="-20"/><translate value="0, 0.8, 0"/></transform>
        <bsdf type="twosided"><bsdf type="diffuse">{checker(4)}</bsdf></bsdf>
    </shape>
''' + SKY_LIGHT),
    'shape-obj': scene(f'''    <shape type="obj">
        <string name="filename" value="{MESHES}/blob.obj"/>
        <transform name="to_world"><scale value="0.6"/><translate value="0, 0.45, 0"/></transform>
        <bsdf type="diffuse">{checker(4)}</bsdf>
    </shape>
''' + SKY_LIGHT),
    'shape-ply-binary': scene(f'''    <shape type="ply">
        <string name="filename" value="{MESHES}/torus.ply"/>
        <transform name="to_world"><scale value="0.6"/><rotate x="1" angle="50"/><translate value="0, 0.8, 0"/></transform>
        <bsdf type="diffuse">{checker(3)}</bsdf>
    </shape>
''' + SKY_LIGHT),
    'shape-ply-ascii': scene(f'''    <shape type="ply">
        <string name="filename" value="{MESHES}/icosphere.ply"/>
        <boolean name="face_normals" value="true"/>
        <transform name="to_world"><scale value="0.6"/><translate value="0, 0.6, 0"/></transform>
        <bsdf type="diffuse">{checker()}</bsdf>
    </shape>
''' + SKY_LIGHT),
    # BSDFs: a sphere on the floor under the sky.
    'bsdf-diffuse': bsdf_scene('<bsdf type="diffuse"><rgb name="reflectance" value="0.8, 0.3, 0.2"/></bsdf>'),
    'bsdf-conductor': bsdf_scene('<bsdf type="conductor"/>'),
    'bsdf-conductor-au': bsdf_scene('<bsdf type="conductor"><string name="material" value="Au"/></bsdf>'),
    'bsdf-roughconductor-beckmann': bsdf_scene(
        '<bsdf type="roughconductor"><string name="material" value="Cu"/><float name="alpha" value="0.3"/></bsdf>'),
    'bsdf-roughconductor-ggx': bsdf_scene(
        '<bsdf type="roughconductor"><string name="material" value="Al"/><string name="distribution" value="ggx"/>'
        '<float name="alpha" value="0.15"/></bsdf>'),
    'bsdf-dielectric': bsdf_scene('<bsdf type="dielectric"><float name="int_ior" value="1.5"/></bsdf>'),
    'bsdf-thindielectric': bsdf_scene('<bsdf type="thindielectric"/>'),
    'bsdf-roughdielectric': bsdf_scene(
        '<bsdf type="roughdielectric"><string name="distribution" value="ggx"/><float name="alpha" value="0.2"/></bsdf>'),
    'bsdf-plastic': bsdf_scene('<bsdf type="plastic"><rgb name="diffuse_reflectance" value="0.1, 0.3, 0.7"/></bsdf>'),
    'bsdf-twosided': scene(f'''    <shape type="rectangle">
        <transform name="to_world"><scale value="0.7"/><rotate y="1" angle="200"/><translate value="0, 0.8, 0"/></transform>
        <bsdf type="twosided">
            <bsdf type="diffuse"><rgb name="reflectance" value="0.8, 0.2, 0.2"/></bsdf>
            <bsdf type="diffuse"><rgb name="reflectance" value="0.2, 0.7, 0.3"/></bsdf>
        </bsdf>
    </shape>
''' + SKY_LIGHT),
    # Emitters.
    'emitter-area': scene(sphere(GREY) + '\n'
                          + AREA_LIGHT),
    'emitter-area-flipped': scene(sphere(GREY) + '''
    <shape type="rectangle">
        <boolean name="flip_normals" value="true"/>
        <transform name="to_world"><scale value="0.5"/><rotate x="1" angle="-90"/><translate value="-0.3, 2.2, 0.4"/></transform>
        <emitter type="area"><rgb name="radiance" value="12, 11, 9"/></emitter>
    </shape>'''),
    'emitter-point': scene(sphere(GREY) + '''
    <emitter type="point">
        <point name="position" value="1, 2.5, 1.5"/>
        <rgb name="intensity" value="10, 9, 7"/>
    </emitter>'''),
    'emitter-spot': scene(sphere(GREY,
                                 center='0.4, 0.4, 0', radius=0.4) + '''
    <emitter type="spot">
        <transform name="to_world"><lookat origin="-0.5, 2.5, 1" target="0, 0, 0"/></transform>
        <rgb name="intensity" value="20, 18, 14"/>
        <float name="cutoff_angle" value="30"/>
        <float name="beam_width" value="15"/>
    </emitter>'''),
    'emitter-directional': scene(sphere(GREY) + '''
    <emitter type="directional">
        <vector name="direction" value="-1, -2, -1"/>
        <rgb name="irradiance" value="3, 2.8, 2.4"/>
    </emitter>'''),
    'emitter-constant': scene(sphere(GREY) + '''
    <emitter type="constant"><rgb name="radiance" value="0.8, 0.9, 1.0"/></emitter>'''),
    'emitter-envmap': scene(sphere('<bsdf type="conductor"/>', center='-0.45, 0.45, 0', radius=0.45) + '\n'
                            + sphere(GREY,
                                     center='0.5, 0.4, 0', radius=0.4) + f'''
    <emitter type="envmap">
        <string name="filename" value="{SKY}"/>
        <float name="scale" value="0.7"/>
        <transform name="to_world"><rotate y="1" angle="70"/></transform>
    </emitter>''', width=32),
    # Reconstruction filters: a high-frequency checkerboard, direct light only.
    **{f'filter-{name}': scene(f'''    <shape type="rectangle">
        <transform name="to_world"><scale value="1.2"/><translate value="0, 0.6, 0"/></transform>
        <bsdf type="diffuse">{checker(7)}</bsdf>
    </shape>
    <emitter type="constant"><rgb name="radiance" value="1, 1, 1"/></emitter>''',
                               integrator='<integrator type="direct"/>', rfilter=rf, floor=False,
                               origin='0, 0.6, 3', target='0, 0.6, 0')
       for name, rf in [('box', '<rfilter type="box"/>'),
                        ('tent', '<rfilter type="tent"><float name="radius" value="1.5"/></rfilter>'),
                        ('gaussian', '<rfilter type="gaussian"><float name="stddev" value="0.6"/></rfilter>')]},
    # Integrators (the Cornell box ones use scenes/cornell-box.xml with another integrator).
    'integrator-path-hide-emitters': scene(
        sphere(GREY) + '\n' + AREA_LIGHT
        + '\n    <emitter type="constant"><rgb name="radiance" value="0.3, 0.3, 0.3"/></emitter>',
        integrator='<integrator type="path"><integer name="max_depth" value="3"/>'
                   '<integer name="rr_depth" value="2"/><boolean name="hide_emitters" value="true"/></integrator>'),
    'integrator-direct': scene(
        sphere('<bsdf type="plastic"><rgb name="diffuse_reflectance" value="0.6, 0.5, 0.3"/></bsdf>') + '\n' + AREA_LIGHT
        + '\n' + SKY_LIGHT, integrator='<integrator type="direct"/>'),
}

# AOV scenes: the same objects, one AOV set each (Mitsuba writes the AOV channels
# in order into the EXR: 1 channel -> Y, 3 channels -> R, G, B).
AOV_BODY = f'''    <shape type="obj">
        <string name="filename" value="{MESHES}/blob.obj"/>
        <transform name="to_world"><scale value="0.45"/><translate value="-0.5, 0.35, 0"/></transform>
        <bsdf type="plastic"><rgb name="diffuse_reflectance" value="0.7, 0.5, 0.2"/></bsdf>
    </shape>
''' + sphere(f'<bsdf type="diffuse">{checker(4)}</bsdf>', center='0.55, 0.4, 0.2', radius=0.4) + '''
    <shape type="ply">
        <string name="filename" value="''' + MESHES + '''/torus.ply"/>
        <transform name="to_world"><scale value="0.35"/><rotate x="1" angle="70"/><translate value="0, 0.45, -0.9"/></transform>
        <bsdf type="roughconductor"/>
    </shape>'''
for name, aovs in [('aov-depth', 'dd.y:depth'), ('aov-normal', 'nn:sh_normal'), ('aov-geo-normal', 'ng:geo_normal'),
                   ('aov-albedo', 'albedo:albedo'), ('aov-position', 'pp:position'), ('aov-uv-depth', 'uv:uv,dd:depth')]:
    SCENES[name] = scene(AOV_BODY, integrator=f'<integrator type="aov"><string name="aovs" value="{aovs}"/></integrator>',
                         width=32)

if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    for name, xml in SCENES.items():
        with open(os.path.join(OUT, name + '.xml'), 'w') as f:
            f.write(xml)
    # The Cornell box with the direct integrator.
    with open(os.path.join(ROOT, 'scenes/cornell-box.xml')) as f:
        box = f.read()
    box = box.replace('<integrator type="path">\n        <integer name="max_depth" value="$max_depth"/>\n    </integrator>',
                      '<integrator type="direct"/>')
    assert '<integrator type="direct"/>' in box
    box = box.replace('<default name="res" value="256"/>', '<default name="res" value="24"/>')
    assert '<default name="res" value="24"/>' in box
    with open(os.path.join(OUT, 'cornell-box-direct.xml'), 'w') as f:
        f.write(box.replace('<!-- The Cornell box', '<!-- Generated by tools/make-test-scenes.py from scenes/cornell-box.xml.\n     The Cornell box'))
    # The Cornell box far from the origin: every shape scaled by 1000 and moved by 1e4 on each axis,
    # the camera with it (clip planes scaled). Radiance does not change with scale: the image is the
    # box's, and the render tests that rays leave surfaces without meeting them again.
    far = box.replace('<integrator type="direct"/>', '<integrator type="path">\n'
                      '        <integer name="max_depth" value="$max_depth"/>\n    </integrator>')
    far = far.replace('        </transform>', '            <scale value="1000"/>\n'
                      '            <translate value="10000, 10000, 10000"/>\n        </transform>')
    camera = ('<lookat origin="0, 0, 3.9" target="0, 0, 0" up="0, 1, 0"/>\n'
              '            <scale value="1000"/>\n            <translate value="10000, 10000, 10000"/>')
    assert camera in far
    far = far.replace(camera, '<lookat origin="10000, 10000, 13900" target="10000, 10000, 10000" up="0, 1, 0"/>')
    far = far.replace('<float name="near_clip" value="0.001"/>', '<float name="near_clip" value="1"/>')
    far = far.replace('<float name="far_clip" value="100"/>', '<float name="far_clip" value="100000"/>')
    assert far.count('<scale value="1000"/>') == 8 and 'value="1"/>' in far and 'value="100000"/>' in far
    with open(os.path.join(OUT, 'cornell-box-far.xml'), 'w') as f:
        f.write(far.replace('<!-- The Cornell box', '<!-- Generated by tools/make-test-scenes.py from scenes/cornell-box.xml:\n'
                            '     scaled by 1000 and moved by 1e4 along each axis. The Cornell box'))
    print('wrote', len(SCENES) + 2, 'scenes to Tests/Fixtures/scenes')
