/*
 * A PKCS#11 module for tests: it forwards every call to SoftHSMv2 and adds what SoftHSMv2 2.6.1
 * lacks, a user PIN retry counter. After three wrong user logins the PIN is locked and every
 * later C_Login answers CKR_PIN_LOCKED (0xA4), the right PIN included, as tokens with a retry
 * counter do. Built by tests/pin_lock.rs with the system C compiler.
 *
 * The function list is a version followed by function pointers in the order of the PKCS#11
 * v2.40 header; C_GetFunctionList is the 4th pointer and C_Login the 19th.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef struct { unsigned char major, minor; } CK_VERSION;

#define FUNCTIONS 68
#define GET_FUNCTION_LIST 3
#define LOGIN 18
#define CKR_OK 0x0UL
#define CKR_GENERAL_ERROR 0x5UL
#define CKR_PIN_INCORRECT 0xA0UL
#define CKR_PIN_LOCKED 0xA4UL
#define CKU_USER 1UL
#define RETRIES 3

typedef struct { CK_VERSION version; void *fn[FUNCTIONS]; } function_list;
typedef CK_RV (*get_function_list_fn)(function_list **);
typedef CK_RV (*login_fn)(CK_ULONG, CK_ULONG, unsigned char *, CK_ULONG);

static function_list shim;
static login_fn real_login;
static int failures;

static CK_RV shim_login(CK_ULONG session, CK_ULONG user, unsigned char *pin, CK_ULONG len) {
    if (user == CKU_USER && failures >= RETRIES)
        return CKR_PIN_LOCKED;
    CK_RV rv = real_login(session, user, pin, len);
    if (user == CKU_USER && rv == CKR_PIN_INCORRECT && ++failures >= RETRIES)
        return CKR_PIN_LOCKED;
    return rv;
}

CK_RV C_GetFunctionList(function_list **out) {
    if (!real_login) {
        void *softhsm = dlopen(SOFTHSM, RTLD_NOW | RTLD_LOCAL);
        if (!softhsm)
            return CKR_GENERAL_ERROR;
        get_function_list_fn get = (get_function_list_fn)dlsym(softhsm, "C_GetFunctionList");
        function_list *real;
        if (!get || get(&real) != CKR_OK)
            return CKR_GENERAL_ERROR;
        memcpy(&shim, real, sizeof shim);
        real_login = (login_fn)real->fn[LOGIN];
        shim.fn[LOGIN] = (void *)shim_login;
        shim.fn[GET_FUNCTION_LIST] = (void *)C_GetFunctionList;
    }
    *out = &shim;
    return CKR_OK;
}
