// libhdf5 (Debian libhdf5-dev, headers in /usr/include/hdf5/serial).
// The H5T_NATIVE_*, H5F_ACC_* and H5P_* macros expand to function calls plus globals that Swift
// cannot import (see ../shared/reference/native-deps.md §1), so they are wrapped here.
#ifndef MCU_CHDF5_SHIM_H
#define MCU_CHDF5_SHIM_H
#include <hdf5.h>

static inline hid_t h5s_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t h5s_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t h5s_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t h5s_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t h5s_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t h5s_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t h5s_c_s1(void) { return H5T_C_S1; }
static inline hid_t h5s_p_default(void) { return H5P_DEFAULT; }
static inline hid_t h5s_s_all(void) { return H5S_ALL; }
static inline hid_t h5s_p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t h5s_p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t h5s_e_default(void) { return H5E_DEFAULT; }
static inline unsigned h5s_f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned h5s_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned h5s_f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline size_t h5s_variable(void) { return H5T_VARIABLE; }
#endif
