"""An HDF5 file from a stranger, opened from memory and checked before anything is read.

libhdf5 follows whatever the file says: links to other files, groups that contain
themselves, attributes that declare gigabytes, compression filters it cannot run. The
walk below looks at every link and attribute once, from declared metadata only, and
refuses the file at the first thing a Keras save never writes. What metadata cannot
show (a corrupted heap that makes libhdf5 spin or allocate) is bounded by the child
process that runs every upload (`gruviz.io.sandbox`).
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from math import prod

import h5py

from ..errors import InputError
from ..limits import FILES
from ..text import N_, _, count as grouped

_FILTERS = {1: "gzip", 2: "shuffle", 3: "fletcher32", 5: "nbit", 6: "scaleoffset"}  # built into libhdf5
_RESAVE = N_("Save the model again with Keras.")  # said after a refusal: _(_RESAVE)


@contextmanager
def open_h5(data: bytes, accepted: str):
    """h5py.File on bytes in memory, handed out only after every object in it is checked."""
    try:
        file = h5py.File(io.BytesIO(data), "r")
    except OverflowError:
        raise _far_address() from None
    except (OSError, ValueError, RuntimeError):
        if data.startswith(b"PK"):
            message = _("this is not an HDF5 file. This file is a zip: rename it to end in .keras. {accepted}.")
        else:
            message = _("this is not an HDF5 file. {accepted}.")
        raise InputError(message.format(accepted=accepted)) from None
    with file:
        try:
            check_h5(file)
        except OverflowError:
            raise _far_address() from None
        yield file


def _far_address() -> InputError:
    """h5py reads an in-memory file at the offsets libhdf5 asks for; an offset past what a C
    ssize_t holds raises OverflowError, and only a corrupted address in the file asks for one."""
    return InputError(_("this HDF5 file is damaged: one of its addresses points far beyond the end of "
                        "any file, so it cannot be read. Save the model again with Keras and upload the new "
                        "file."))


def check_h5(root: h5py.File) -> None:
    """Refuse links that leave the file or loop, deep nesting, too many objects, oversized
    attributes, and arrays stored outside the file or behind a filter libhdf5 lacks."""
    stack = [(root, 0, (_address(root),))]
    seen = {_address(root)}
    count = _check_attributes(root, 0)
    while stack:
        group, depth, path = stack.pop()
        count = _counted(count, len(group))  # the group's link count, read before any link is followed
        for key in group:
            where = f"{group.name.rstrip('/')}/{key}"
            link = group.get(key, getlink=True)
            if not isinstance(link, h5py.HardLink):
                raise InputError(_("the HDF5 file has a link of kind {kind} at {where}; gruviz reads only plain "
                                   "arrays stored inside the file. {resave}").format(
                    kind=type(link).__name__, where=where, resave=_(_RESAVE)))
            obj = group[key]
            count = _check_attributes(obj, count)
            if isinstance(obj, h5py.Group):
                address = _address(obj)
                if address in path:
                    raise InputError(_("the HDF5 group {where} links back to a group that contains it (a link "
                                       "cycle); reading it would never end. {resave}").format(
                        where=where, resave=_(_RESAVE)))
                if address in seen:
                    raise InputError(_("the HDF5 group {where} is linked from two places; Keras never writes "
                                       "that. {resave}").format(where=where, resave=_(_RESAVE)))
                if depth + 1 > FILES.max_depth:
                    raise InputError(_("the HDF5 file nests groups more than {depth} deep (at {where}); a Keras "
                                       "model nests a few. {resave}").format(
                        depth=grouped(FILES.max_depth), where=where, resave=_(_RESAVE)))
                seen.add(address)
                stack.append((obj, depth + 1, path + (address,)))
            elif isinstance(obj, h5py.Dataset):
                _check_storage(obj, where)


def _address(obj) -> int:
    return h5py.h5o.get_info(obj.id).addr


def _counted(count: int, more: int) -> int:
    if count + more > FILES.max_objects:
        raise InputError(_("the HDF5 file has more than {count} objects and attributes; a Keras GRU model has a "
                           "few dozen. {resave}").format(count=grouped(FILES.max_objects), resave=_(_RESAVE)))
    return count + more


def _check_attributes(obj, count: int) -> int:
    """Every attribute's declared size, from its dataspace and type, before any value is read."""
    count = _counted(count, len(obj.attrs))
    for name in obj.attrs:
        attr = obj.attrs.get_id(name)
        _check_type(attr, _("attribute {name}").format(name=f"{obj.name.rstrip('/')[:80]}/@{name[:80]}"))
        shape = attr.shape or ()
        declared = prod(shape) * attr.get_type().get_size()  # a variable-length value counts its heap reference
        if declared > FILES.max_attribute_bytes:
            where = f"{obj.name.rstrip('/')}/@{name}"
            raise InputError(_("the HDF5 attribute {where} declares {size} MB; the limit is {limit} MB. "
                               "{resave}").format(where=where, size=grouped(round(declared / 2**20)),
                                                  limit=grouped(round(FILES.max_attribute_bytes / 2**20)),
                                                  resave=_(_RESAVE)))
    return count


def _check_type(obj, what: str) -> None:
    """The numpy type of an attribute or array, which h5py refuses to make for a type it does
    not know (a string in character set 4, say): only a damaged file declares one."""
    try:
        obj.dtype
    except (TypeError, ValueError) as error:
        message = _("the HDF5 {what} has a type that cannot be read ({error}); the file is damaged. "
                    "Save the model again with Keras.")
        raise InputError(message.format(what=what, error=str(error)[:80])) from None


def _check_storage(dataset: h5py.Dataset, where: str) -> None:
    _check_type(dataset.id, _("array {name}").format(name=where))
    if dataset.is_virtual or dataset.external:
        raise InputError(_("the array {where} reads its data from another file; this is refused.").format(
            where=where))
    plist = dataset.id.get_create_plist()
    for i in range(plist.get_nfilters()):
        code = plist.get_filter(i)[0]
        if code not in _FILTERS or not h5py.h5z.filter_avail(code):
            raise InputError(_("the array {where} is stored with compression filter {code}, which gruviz does not "
                               "read; Keras saves arrays uncompressed. {resave}").format(
                where=where, code=code, resave=_(_RESAVE)))
