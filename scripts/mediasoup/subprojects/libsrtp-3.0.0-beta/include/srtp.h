/*
 * Adapter: mediasoup 3.19 is written against the libsrtp 3 API, Debian bookworm ships libsrtp 2.5.
 * This header is found before the system one and maps the few libsrtp 3 calls mediasoup makes onto
 * libsrtp 2's in-place functions. See shared/reference/mediasoup-offline-build.md.
 */
#ifndef DIEMCAU_SRTP3_ADAPTER_H
#define DIEMCAU_SRTP3_ADAPTER_H

#include <srtp2/srtp.h>

#ifdef __cplusplus
#include <cstddef>
#include <cstdint>
#include <cstring>

/* libsrtp 3 error codes that mediasoup's DepLibSRTP.cpp names. */
static const srtp_err_status_t srtp_err_status_buffer_small = static_cast<srtp_err_status_t>(28);
static const srtp_err_status_t srtp_err_status_cryptex_err = static_cast<srtp_err_status_t>(29);

namespace diemcau_srtp3 {
typedef srtp_err_status_t (*inplace_fn)(srtp_t, void*, int*);

inline srtp_err_status_t run(
  inplace_fn fn, srtp_t ctx, const uint8_t* in, size_t in_len, uint8_t* out, size_t* out_len, size_t need)
{
	if (*out_len < need)
		return srtp_err_status_buffer_small;
	if (out != in)
		std::memmove(out, in, in_len);
	int len = static_cast<int>(in_len);
	srtp_err_status_t err = fn(ctx, out, &len);
	if (err == srtp_err_status_ok)
		*out_len = static_cast<size_t>(len);
	return err;
}
} // namespace diemcau_srtp3

/* mki_index is ignored: mediasoup never enables MKI and always passes 0. */
inline srtp_err_status_t srtp_protect(
  srtp_t ctx, const uint8_t* in, size_t in_len, uint8_t* out, size_t* out_len, size_t /*mki_index*/)
{
	return diemcau_srtp3::run(::srtp_protect, ctx, in, in_len, out, out_len, in_len + SRTP_MAX_TRAILER_LEN);
}

inline srtp_err_status_t srtp_protect_rtcp(
  srtp_t ctx, const uint8_t* in, size_t in_len, uint8_t* out, size_t* out_len, size_t /*mki_index*/)
{
	return diemcau_srtp3::run(
	  ::srtp_protect_rtcp, ctx, in, in_len, out, out_len, in_len + SRTP_MAX_TRAILER_LEN + 4);
}

inline srtp_err_status_t srtp_unprotect(
  srtp_t ctx, const uint8_t* in, size_t in_len, uint8_t* out, size_t* out_len)
{
	return diemcau_srtp3::run(::srtp_unprotect, ctx, in, in_len, out, out_len, in_len);
}

inline srtp_err_status_t srtp_unprotect_rtcp(
  srtp_t ctx, const uint8_t* in, size_t in_len, uint8_t* out, size_t* out_len)
{
	return diemcau_srtp3::run(::srtp_unprotect_rtcp, ctx, in, in_len, out, out_len, in_len);
}

/* Both take the SSRC in network byte order. */
inline srtp_err_status_t srtp_stream_remove(srtp_t ctx, uint32_t ssrc)
{
	return ::srtp_remove_stream(ctx, ssrc);
}
#endif /* __cplusplus */

#endif
