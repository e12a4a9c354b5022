/*
 * libre.h - the one place that includes libre.
 *
 * libre 1.1.0's pkg-config file carries no defines and its headers expect
 * the standard integer, boolean and varargs types to be declared first.
 * Every file that needs libre includes this header instead of <re.h>, so the
 * adapter stays in one place when libre is upgraded.
 */
#ifndef SB_CORE_LIBRE_H
#define SB_CORE_LIBRE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* <re.h> would also pull in re_json.h, whose JSON_* names clash with
 * jansson (the project's one JSON library), so the headers are listed
 * here without re_json.h and re_odict.h. */
#include <re_types.h>
#include <re_fmt.h>
#include <re_mbuf.h>
#include <re_msg.h>
#include <re_list.h>
#include <re_sa.h>
#include <re_base64.h>
#include <re_hash.h>
#include <re_hmac.h>
#include <re_dns.h>
#include <re_http.h>
#include <re_httpauth.h>
#include <re_ice.h>
#include <re_jbuf.h>
#include <re_lock.h>
#include <re_main.h>
#include <re_md5.h>
#include <re_mem.h>
#include <re_mqueue.h>
#include <re_net.h>
#include <re_rtp.h>
#include <re_sdp.h>
#include <re_uri.h>
#include <re_sip.h>
#include <re_sipevent.h>
#include <re_sipreg.h>
#include <re_sipsess.h>
#include <re_stun.h>
#include <re_srtp.h>
#include <re_sys.h>
#include <re_tcp.h>
#include <re_telev.h>
#include <re_tmr.h>
#include <re_tls.h>
#include <re_turn.h>
#include <re_udp.h>
#include <re_websock.h>

#endif
