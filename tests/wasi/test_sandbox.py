"""Every way out of a preopened directory we could think of fails with the right errno,
and touches nothing outside it (the host tree is compared before and after).

The calls go straight to the WASI functions (through the proxy module), as a hostile
guest would make them, without wasi-libc's own path handling in front.
"""
from __future__ import annotations

import os

import pytest

import runtime
from tests.wasi.guest import (OFLAG_CREAT, OFLAG_DIRECTORY, OFLAG_EXCL, OFLAG_TRUNC, READ, WRITE,
                              Errno, Guest)

E = Errno


def snapshot(root) -> dict:
    """Every path under `root` with its type, content (files), target (links), mode, mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if os.path.islink(p):
                what = ("link", os.readlink(p))
            elif os.path.isdir(p):
                what = ("dir",)
            else:
                with open(p, "rb") as f:
                    what = ("file", f.read(), st.st_nlink)
            out[os.path.relpath(p, root)] = (what, st.st_mode, st.st_mtime_ns)
    return out


@pytest.fixture
def tree(tmp_path):
    """tmp/outside (must stay untouched) and tmp/sandbox (preopened as /sandbox)."""
    outside, sandbox = tmp_path / "outside", tmp_path / "sandbox"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.txt").write_text("secret")
    (sandbox / "sub" / "deeper").mkdir(parents=True)
    (sandbox / "file.txt").write_text("inside")
    (sandbox / "sub" / "inner.txt").write_text("inner")
    links = {
        "link_etc": "/etc", "link_out": "../outside", "link_secret": "../outside/secret.txt",
        "chain1": "chain2", "chain2": "chain3", "chain3": "sub/deeper/../../../outside",
        "dangling_out": "../outside/created.txt", "dangling_abs": str(outside / "created2.txt"),
        "loop": "loop", "ok_link": "sub/inner.txt", "sub/up": "..", "sub/up2": "../..",
        "sub/deeper/far": "../../../outside", "dangling_in": "sub/made.txt",
    }
    for name, target in links.items():
        os.symlink(target, sandbox / name)
    return tmp_path, outside, sandbox


@pytest.fixture
def guest(proxy, tree):
    _, _, sandbox = tree
    inst, wasi = proxy(runtime.WasiConfig(preopens={"/sandbox": str(sandbox)}, stdout="capture"))
    return Guest(inst)


@pytest.fixture
def untouched(tree):
    """Asserts, after the test, that nothing outside the sandbox changed."""
    root, outside, _ = tree
    before = snapshot(outside), sorted(os.listdir(root))
    yield
    assert snapshot(outside) == before[0]
    assert sorted(os.listdir(root)) == before[1]


ESCAPES = [
    b"../outside/secret.txt", b"..", b"../", b"sub/../../outside/secret.txt", b"sub/../..",
    b"/etc/passwd", b"/", b"//etc/passwd", b"link_etc/passwd", b"link_etc", b"link_out/secret.txt",
    b"link_out", b"link_secret", b"chain1/secret.txt", b"chain1", b"sub/up2/outside/secret.txt",
    b"sub/up/../../outside/secret.txt", b"sub/deeper/far/secret.txt", b"./../outside",
    b"sub/./../../outside/secret.txt", b"sub/up/link_out/secret.txt",
]


@pytest.mark.parametrize("path", ESCAPES)
def test_open_outside_is_not_capable(guest, untouched, path):
    for oflags, rights in ((0, READ), (0, READ | WRITE), (OFLAG_DIRECTORY, READ)):
        err, fd = guest.open(path, oflags, rights)
        assert err == E.NOTCAPABLE, (path, oflags)


def test_open_inside_through_links_and_dotdot_works(guest, untouched):
    for path in (b"file.txt", b"sub/inner.txt", b"sub/up/file.txt", b"sub/deeper/../inner.txt",
                 b"ok_link", b"./sub/../file.txt", b"sub/up/sub/up/ok_link", b"sub//inner.txt"):
        err, fd = guest.open(path, 0, READ)
        assert err == E.SUCCESS, path
        data = guest.read(fd, 100)[1]
        assert data in (b"inside", b"inner"), path
        assert guest.close(fd) == E.SUCCESS


def test_symlink_loops_and_no_follow(guest, untouched):
    assert guest.open(b"loop")[0] == E.LOOP
    assert guest.open(b"loop/x")[0] == E.LOOP
    # O_NOFOLLOW semantics: a final symlink is not opened, whatever it points to.
    assert guest.open(b"link_secret", follow=False)[0] == E.LOOP
    assert guest.open(b"ok_link", follow=False)[0] == E.LOOP


def test_creating_through_dangling_links(guest, tree, untouched):
    _, outside, sandbox = tree
    for path in (b"dangling_out", b"dangling_abs", b"link_out/new.txt", b"../new.txt",
                 b"chain1/new.txt", b"sub/up2/new.txt"):
        assert guest.open(path, OFLAG_CREAT, READ | WRITE)[0] == E.NOTCAPABLE, path
        assert guest.open(path, OFLAG_CREAT | OFLAG_TRUNC, WRITE)[0] == E.NOTCAPABLE, path
    # O_EXCL never follows the final link: the link itself exists.
    assert guest.open(b"dangling_out", OFLAG_CREAT | OFLAG_EXCL, WRITE)[0] == E.EXIST
    # A dangling link to a name inside is followed and creates the file, as natively.
    err, fd = guest.open(b"dangling_in", OFLAG_CREAT, READ | WRITE)
    assert err == E.SUCCESS
    assert guest.write(fd, b"made")[0] == E.SUCCESS
    assert (sandbox / "sub" / "made.txt").read_bytes() == b"made"
    assert not (outside / "created.txt").exists() and not (outside / "created2.txt").exists()


def test_directories_as_files_and_files_as_directories(guest, untouched):
    assert guest.open(b"file.txt", OFLAG_DIRECTORY, READ)[0] == E.NOTDIR
    assert guest.open(b"file.txt/", 0, READ)[0] == E.NOTDIR
    assert guest.open(b"file.txt/x", 0, READ)[0] == E.NOTDIR
    assert guest.open(b"sub", 0, READ | WRITE)[0] == E.ISDIR
    assert guest.open(b"sub", OFLAG_CREAT | OFLAG_DIRECTORY, READ)[0] == E.INVAL
    err, dir_fd = guest.open(b"sub", 0, READ)  # a directory opened without O_DIRECTORY
    assert err == E.SUCCESS
    assert guest.read(dir_fd, 10)[0] == E.ISDIR
    assert guest.write(dir_fd, b"x")[0] == E.BADF
    err, names = guest.readdir(dir_fd)
    assert err == E.SUCCESS and sorted(names) == [b".", b"..", b"deeper", b"inner.txt", b"up", b"up2"]
    err, file_fd = guest.open(b"file.txt", 0, READ)
    assert guest.readdir(file_fd)[0] == E.NOTDIR
    # A file descriptor is not a directory to resolve paths in.
    assert guest.open(b"x", 0, READ, dirfd=file_fd)[0] == E.NOTDIR
    assert guest.mkdir(b"x", dirfd=file_fd) == E.NOTDIR
    assert guest.rmdir(b"file.txt") == E.NOTDIR
    assert guest.unlink(b"sub") == E.ISDIR
    assert guest.unlink(b"sub/") == E.ISDIR
    assert guest.unlink(b"file.txt/") == E.NOTDIR


def test_an_opened_subdirectory_is_its_own_root(guest, untouched):
    err, sub = guest.open(b"sub", OFLAG_DIRECTORY)  # all rights, as wasi-libc asks for
    assert err == E.SUCCESS
    assert guest.open(b"inner.txt", 0, READ, dirfd=sub)[0] == E.SUCCESS
    # '..' from a directory descriptor leads above what it grants, even if that is
    # still inside the preopen.
    assert guest.open(b"../file.txt", 0, READ, dirfd=sub)[0] == E.NOTCAPABLE
    assert guest.open(b"up/file.txt", 0, READ, dirfd=sub)[0] == E.NOTCAPABLE


@pytest.mark.parametrize("new", [b"../outside/stolen.txt", b"link_out/stolen.txt", b"../stolen.txt",
                                 b"chain1/stolen.txt", b"/tmp/stolen.txt", b"sub/up2/stolen.txt"])
def test_renaming_outside(guest, tree, untouched, new):
    _, _, sandbox = tree
    assert guest.rename(b"file.txt", new) == E.NOTCAPABLE
    assert guest.rename(b"sub", new) == E.NOTCAPABLE
    assert (sandbox / "file.txt").read_text() == "inside"


def test_renaming_from_outside_in(guest, tree, untouched):
    _, _, sandbox = tree
    for old in (b"../outside/secret.txt", b"link_out/secret.txt", b"link_secret/"):
        assert guest.rename(old, b"mine.txt") in (E.NOTCAPABLE,), old
    # Renaming the link itself is fine: it is a name inside the sandbox.
    assert guest.rename(b"link_secret", b"renamed_link") == E.SUCCESS
    assert os.readlink(sandbox / "renamed_link") == "../outside/secret.txt"
    assert guest.open(b"renamed_link", 0, READ)[0] == E.NOTCAPABLE


def test_hard_links(guest, tree, untouched):
    _, outside, sandbox = tree
    assert guest.link(b"../outside/secret.txt", b"hard") == E.NOTCAPABLE
    assert guest.link(b"link_out/secret.txt", b"hard") == E.NOTCAPABLE
    assert guest.link(b"link_secret", b"hard", follow=True) == E.NOTCAPABLE
    assert guest.link(b"file.txt", b"../outside/hard") == E.NOTCAPABLE
    assert guest.link(b"file.txt", b"link_out/hard") == E.NOTCAPABLE
    # Without following, linking the symlink links the symlink (not its target).
    assert guest.link(b"link_secret", b"hard") == E.SUCCESS
    assert os.readlink(sandbox / "hard") == "../outside/secret.txt"
    assert os.stat(outside / "secret.txt").st_nlink == 1
    assert guest.open(b"hard", 0, READ)[0] == E.NOTCAPABLE
    assert guest.link(b"file.txt", b"hard2") == E.SUCCESS
    assert (sandbox / "hard2").read_text() == "inside"
    assert guest.link(b"sub", b"dirlink") == E.PERM  # no hard links to directories


def test_creating_symlinks(guest, tree, untouched):
    _, _, sandbox = tree
    assert guest.symlink(b"/etc/passwd", b"abs") == E.NOTCAPABLE
    assert not os.path.lexists(sandbox / "abs")
    assert guest.symlink(b"ok", b"../outside/link") == E.NOTCAPABLE
    assert guest.symlink(b"ok", b"link_out/link") == E.NOTCAPABLE
    # A relative link that climbs out may exist; following it is what is refused.
    assert guest.symlink(b"../outside/secret.txt", b"climb") == E.SUCCESS
    assert guest.open(b"climb", 0, READ)[0] == E.NOTCAPABLE
    assert guest.symlink(b"file.txt", b"fine") == E.SUCCESS
    err, fd = guest.open(b"fine", 0, READ)
    assert err == E.SUCCESS and guest.read(fd, 10)[1] == b"inside"
    assert guest.symlink(b"x", b"file.txt") == E.EXIST


def test_unlink_and_rmdir_outside(guest, tree, untouched):
    _, outside, sandbox = tree
    assert guest.unlink(b"../outside/secret.txt") == E.NOTCAPABLE
    assert guest.unlink(b"link_out/secret.txt") == E.NOTCAPABLE
    assert guest.unlink(b"chain1/secret.txt") == E.NOTCAPABLE
    assert guest.rmdir(b"../outside/dir") == E.NOTCAPABLE
    assert guest.rmdir(b"link_out/dir") == E.NOTCAPABLE
    assert guest.rmdir(b"link_out") == E.NOTDIR  # a symlink is not a directory to remove
    assert guest.rmdir(b"..") == E.NOTCAPABLE
    assert guest.rmdir(b".") == E.INVAL
    assert guest.mkdir(b"../newdir") == E.NOTCAPABLE
    assert guest.mkdir(b"link_out/newdir") == E.NOTCAPABLE
    assert guest.mkdir(b"link_etc") == E.EXIST
    # Unlinking a link removes the link, never its target.
    assert guest.unlink(b"link_secret") == E.SUCCESS
    assert not os.path.lexists(sandbox / "link_secret")


def test_metadata_through_links(guest, untouched):
    assert guest.stat(b"link_etc")[0] == E.NOTCAPABLE
    assert guest.stat(b"link_secret")[0] == E.NOTCAPABLE
    err, st = guest.stat(b"link_etc", follow=False)
    assert err == E.SUCCESS and st[2] == 7  # the link itself: SYMBOLIC_LINK
    assert guest.readlink(b"link_etc") == (E.SUCCESS, b"/etc")  # reading a link is fine
    assert guest.readlink(b"link_out/x")[0] == E.NOTCAPABLE
    p, n = guest.put(b"link_secret")
    assert E(guest.x.path_filestat_set_times(3, 1, p, n, 0, 0, 2 | 8)) == E.NOTCAPABLE
    p, n = guest.put(b"../outside/secret.txt")
    assert E(guest.x.path_filestat_set_times(3, 0, p, n, 0, 0, 2 | 8)) == E.NOTCAPABLE
    err, st = guest.stat(b"sub/up/ok_link")
    assert err == E.SUCCESS and st[2] == 4 and st[4] == len("inner")


def test_paths_the_kernel_would_misread(guest, untouched):
    assert guest.open(b"")[0] == E.NOENT
    assert guest.open(b"file.txt\0../../outside")[0] == E.INVAL
    assert guest.open(b"a" * 5000)[0] == E.NAMETOOLONG
    assert guest.open(b"a" * 300)[0] == E.NAMETOOLONG  # one component over NAME_MAX
    assert guest.open(b"sub/" + b"../" * 3 + b"outside")[0] == E.NOTCAPABLE


def test_deep_paths_do_not_hold_many_descriptors(guest, tree, untouched):
    _, _, sandbox = tree
    deep = sandbox / "d"
    path = deep
    for _ in range(60):
        path = path / "d"
    path.mkdir(parents=True)
    (path / "x.txt").write_text("deep")
    before = len(os.listdir("/proc/self/fd"))
    rel = b"/".join([b"d"] * 61)
    assert guest.open(rel + b"/x.txt", 0, READ)[0] == E.SUCCESS
    # Up 50 and down again: the walk reopens directories it let go of.
    err, fd = guest.open(rel + b"/" + b"../" * 50 + b"/".join([b"d"] * 50) + b"/x.txt", 0, READ)
    assert err == E.SUCCESS and guest.read(fd, 10)[1] == b"deep"
    assert guest.open(rel + b"/" + b"../" * 62 + b"outside", 0, READ)[0] == E.NOTCAPABLE
    assert len(os.listdir("/proc/self/fd")) == before + 2  # just the two files opened


def test_preopens_are_listed_and_nothing_else(proxy, tree):
    _, outside, sandbox = tree
    inst, wasi = proxy(runtime.WasiConfig(preopens={"/sandbox": str(sandbox), ".": str(sandbox / "sub")}))
    g = Guest(inst)
    names = []
    for fd in range(3, 10):
        err = E(g.x.fd_prestat_get(fd, 16))
        if err != E.SUCCESS:
            assert err == E.BADF
            break
        n = g.u32(20)
        assert E(g.x.fd_prestat_dir_name(fd, 64, n)) == E.SUCCESS
        names.append(g.mem.read(64, n))
        assert E(g.x.fd_prestat_dir_name(fd, 64, n - 1)) == E.NAMETOOLONG
    assert names == [b"/sandbox", b"."]
    assert E(g.x.fd_prestat_get(0, 16)) == E.BADF  # stdio is not a preopen


def test_c_program_cannot_escape(corpus, aot_run, tree, memory):
    """The same through wasi-libc: a C program trying the usual ways out."""
    root, outside, sandbox = tree
    before = snapshot(outside)
    proc = aot_run("--memory", memory, "--dir", f"{sandbox}::/sandbox", corpus.wasm("escape"), "--",
                   str(outside))
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in out.splitlines() if ln]
    assert len(lines) > 10
    assert all(": refused" in ln for ln in lines if not ln.startswith("inside")), out
    assert "inside read: ok" in out
    assert snapshot(outside) == before


def test_swapping_a_directory_for_a_symlink_meanwhile(proxy, tmp_path):
    """A host thread keeps replacing sandbox/dir by a symlink to the outside (and back)
    while the guest opens dir/f: whatever the interleaving, the guest reads 'inside'
    or gets an error, never the outside file."""
    import threading

    outside, sandbox = tmp_path / "outside", tmp_path / "sandbox"
    outside.mkdir()
    (outside / "f").write_text("secret")
    (sandbox / "dir").mkdir(parents=True)
    (sandbox / "dir" / "f").write_text("inside")
    os.symlink("../outside", sandbox / "link")
    inst, _ = proxy(runtime.WasiConfig(preopens={"/s": str(sandbox)}))
    g = Guest(inst)
    stop = threading.Event()

    def swap():
        d, l, t = str(sandbox / "dir"), str(sandbox / "link"), str(sandbox / "tmp")
        while not stop.is_set():
            os.rename(d, t)
            os.rename(l, d)  # now dir -> ../outside
            os.rename(d, l)
            os.rename(t, d)

    thread = threading.Thread(target=swap)
    thread.start()
    seen = set()
    try:
        for i in range(3000):
            g._top = 1024  # reuse the same scratch memory
            err, fd = g.open(b"dir/f", 0, READ)
            if err == E.SUCCESS:
                seen.add(g.read(fd, 16)[1])
                g.close(fd)
            else:
                seen.add(err)
    finally:
        stop.set()
        thread.join()
    assert b"secret" not in seen
    assert seen <= {b"inside", E.NOENT, E.NOTCAPABLE, E.NOTDIR}, seen
