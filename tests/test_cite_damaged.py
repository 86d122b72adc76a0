"""`cite` never presents a damaged entry's recorded hash as proof (as `export`): the entry is
named on standard error and left out, exit 1, unless --include-damaged (then cited, marked).
SAMPLE data only: the conftest sample article."""




def _damage(root, entry_id):
    f = root / "archive" / entry_id / "v1" / "original.txt"
    data = bytearray(f.read_bytes())
    data[10] ^= 0x01  # one flipped bit in the snapshot
    f.write_bytes(bytes(data))
    return f


def _one_id(root):
    ids = [p.name for p in (root / "archive").iterdir() if (p / "entry.json").is_file()]
    assert len(ids) == 1
    return ids[0]


def test_cite_leaves_a_damaged_entry_out(cli, root, sample_file):
    assert cli("add", sample_file).exit_code == 0
    entry_id = _one_id(root)
    sound = cli("cite", entry_id, "--style", "bibtex")
    assert sound.exit_code == 0 and "skipped" not in sound.stderr
    _damage(root, entry_id)
    r = cli("cite", entry_id, "--style", "bibtex")
    assert r.exit_code == 1
    assert f"skipped {entry_id}: damaged: {entry_id}/v1/original.txt: " in r.stderr
    assert "@" not in r.stdout  # no citation, no hash offered as proof


def test_cite_include_damaged_cites_and_marks(cli, root, sample_file):
    assert cli("add", sample_file).exit_code == 0
    entry_id = _one_id(root)
    _damage(root, entry_id)
    r = cli("cite", entry_id, "--style", "bibtex", "--include-damaged")
    assert r.exit_code == 0
    assert f"cited {entry_id} marked as damaged: damaged: {entry_id}/v1/original.txt" in r.stderr
    assert "DAMAGED in the archive" in r.stdout


def test_cite_damaged_among_sound_still_cites_the_sound(cli, root, sample_file, tmp_path):
    assert cli("add", sample_file).exit_code == 0
    bad = _one_id(root)
    other = tmp_path / "other.txt"
    other.write_text(sample_file.read_text().replace("SAMPLE: Test official", "SAMPLE: Another official"))
    assert cli("add", other).exit_code == 0
    good = next(p.name for p in (root / "archive").iterdir() if (p / "entry.json").is_file() and p.name != bad)
    _damage(root, bad)
    r = cli("cite", good, bad, "--style", "bibtex")
    assert r.exit_code == 1
    assert f"skipped {bad}: damaged:" in r.stderr and r.stdout.count("@") == 1
