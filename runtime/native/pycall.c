/* Python -> Wasm calls of fast-path signatures without a Python frame.
 *
 * aot_fastcall (fastcall.c) already makes the call itself cheap; what remained was
 * Func.__call__, a Python method, around it. aot_py_install_fastcall gives a Python class
 * (runtime._func._FastFunc, a Func subclass) a `__call__` that is a C method descriptor:
 * CPython then calls it with the instance and the arguments as a vector, no frame, no
 * bound method. It reads the instance's `_fast_addr` (the aot_fast_target *), converts up
 * to four int arguments, releases the GIL around the call, and returns the result.
 *
 * Everything else goes to the Python method (`slow`, Func.__call__ itself): keyword
 * arguments (timeout=, interrupt=), a wrong count, anything but an int, an int out of
 * range. A trap calls `trapped()` (Python), which raises the trap this thread's last
 * fast call recorded. So behaviour is exactly Func.__call__'s.
 *
 * Python objects reach this file through cffi as `void *` (their CPython addresses, from
 * id()): cffi has no PyObject type. The cffi wrapper releases the GIL, so the installer
 * takes it back before touching them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "aot_internal.h"

static PyObject *slow_call;   /* Func.__call__ */
static PyObject *trapped;     /* runtime._func._fast_trapped */
static PyObject *addr_name;   /* "_fast_addr" */

static PyObject *call_slow(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames) {
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    Py_ssize_t n = 1 + nargs + nkw;
    PyObject *small[8];
    PyObject **stack = n <= 8 ? small : PyMem_Malloc(n * sizeof(PyObject *));
    if (!stack)
        return PyErr_NoMemory();
    stack[0] = self;
    memcpy(stack + 1, args, (nargs + nkw) * sizeof(PyObject *));
    PyObject *r = PyObject_Vectorcall(slow_call, stack, 1 + nargs, kwnames);
    if (stack != small)
        PyMem_Free(stack);
    return r;
}

static PyObject *fast_call(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames) {
    if (kwnames && PyTuple_GET_SIZE(kwnames))
        return call_slow(self, args, nargs, kwnames);
    PyObject *addr = PyObject_GetAttr(self, addr_name);
    if (!addr)
        return NULL;
    const aot_fast_target *t = PyLong_AsVoidPtr(addr);
    Py_DECREF(addr);
    if (!t) {
        if (PyErr_Occurred())
            return NULL;
        return call_slow(self, args, nargs, NULL);
    }
    if (nargs != (Py_ssize_t)t->nparams)
        return call_slow(self, args, nargs, NULL);
    int64_t a[4] = {0, 0, 0, 0};
    for (Py_ssize_t i = 0; i < nargs; i++) {
        int overflow = 0;
        if (!PyLong_CheckExact(args[i]))
            return call_slow(self, args, nargs, NULL);
        long long v = PyLong_AsLongLongAndOverflow(args[i], &overflow);
        if (overflow)
            return call_slow(self, args, nargs, NULL);
        a[i] = v;
    }
    int64_t r;
    Py_BEGIN_ALLOW_THREADS
    r = aot_fastcall(t, a[0], a[1], a[2], a[3]);
    Py_END_ALLOW_THREADS
    if (r == AOT_FAST_SENTINEL) {
        int status = aot_fast_status(NULL);
        if (status == AOT_FAST_TRAPPED)
            return PyObject_CallNoArgs(trapped);  /* raises; returns NULL */
        if (status != AOT_FAST_OK)
            return call_slow(self, args, nargs, NULL);  /* says what is wrong */
    }
    if (t->result == AOT_FAST_RESULT_NONE)
        Py_RETURN_NONE;
    return PyLong_FromLongLong(r);
}

static PyMethodDef fast_call_def = {
    "__call__", (PyCFunction)(void (*)(void))fast_call, METH_FASTCALL | METH_KEYWORDS,
    "Call with Python values (the C fast path of Func.__call__; same behaviour)."};

int aot_py_install_fastcall(void *cls, void *slow, void *trapped_fn) {
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = -1;
    PyObject *descr = NULL;
    if (!PyType_Check((PyObject *)cls))
        goto out;
    if (!addr_name && !(addr_name = PyUnicode_InternFromString("_fast_addr")))
        goto out;
    Py_XSETREF(slow_call, Py_NewRef((PyObject *)slow));
    Py_XSETREF(trapped, Py_NewRef((PyObject *)trapped_fn));
    descr = PyDescr_NewMethod((PyTypeObject *)cls, &fast_call_def);
    if (!descr || PyObject_SetAttrString((PyObject *)cls, "__call__", descr) < 0)
        goto out;
    rc = 0;
out:
    Py_XDECREF(descr);
    if (rc)
        PyErr_Clear();
    PyGILState_Release(g);
    return rc;
}
