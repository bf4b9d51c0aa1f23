/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Simulated hosts with pools on them, and the claims tests put there:
 * the fixture builders more than one suite stands on, so that no host is
 * written twice.  Each builder returns a host made with tests/sim (its
 * environment points gpupool at it) whose pools are saved as pool-add
 * would leave them.  A mistake in a fixture fails the test at once. */
#pragma once

#include <glib.h>

#include "state/claims.h"
#include "state/domain.h"
#include "state/pool.h"
#include "sim.h"

G_BEGIN_DECLS

/* ---- The hook host ------------------------------------------------------- */

/* IOMMU on; drivers vfio-pci, nvidia, pcieport.  Five A100-like GPUs
 * (10de:20b5, BAR0 16 MiB, BAR1 16 GiB and BAR3 32 MiB 64-bit
 * prefetchable), each behind its own root port 0000:00:0N.0 and in its
 * own group:
 *   GPU0 0000:41:00.0  vfio-pci, with AUDIO0 0000:41:00.1 (10de:22ba,
 *                      vfio-pci) in its group
 *   GPU1 0000:42:00.0  vfio-pci
 *   GPU2 0000:43:00.0  vfio-pci
 *   OTHER 0000:44:00.0 vfio-pci, in no pool
 *   NVIDIA 0000:45:00.0 still bound to nvidia
 * and pci pool "gpus": GPU0 (+ AUDIO0 as its companion), GPU1, GPU2 and
 * NVIDIA, their host driver recorded as nvidia. */
#define GP_HOOK_HOST_GPU0 "0000:41:00.0"
#define GP_HOOK_HOST_GPU1 "0000:42:00.0"
#define GP_HOOK_HOST_GPU2 "0000:43:00.0"
#define GP_HOOK_HOST_AUDIO0 "0000:41:00.1"
#define GP_HOOK_HOST_OTHER "0000:44:00.0"
#define GP_HOOK_HOST_NVIDIA "0000:45:00.0"
GpSim *gp_test_hook_host(void);

/* ---- A GPU sharing its IOMMU group with a host NIC ------------------------ */

/* IOMMU on; drivers nvidia, igb, pcieport, vfio-pci.  Root port
 * 0000:00:01.0 -> GPU 0000:05:00.0 (10de:20b5, nvidia) and NIC
 * 0000:05:01.0 (Intel I210 8086:1533, igb) in one group.  No pool. */
#define GP_NIC_GROUP_GPU "0000:05:00.0"
#define GP_NIC_GROUP_NIC "0000:05:01.0"
GpSim *gp_test_nic_group_host(void);

/* ---- Partitioning hosts with their pool ------------------------------------ */

/* The mbochs sample (gp_sim_fixture_mbochs()) with mdev pool "disp" of
 * its one parent, handing out MDEV_TYPE. */
GpSim *gp_test_mbochs_pool_host(const char *mdev_type);

/* The L40S (gp_sim_fixture_nvidia_sriov()) with vf pool "l40s" of its PF,
 * set with `partition-set --profile VGPU_TYPE [--per-domain PER]` (so all
 * 16 VFs are enabled), the vendor modules loaded from the build tree and
 * GPUPOOL_PROC_ROOT an empty process table of the sim's.
 * gp_test_l40s_done() undoes that environment. */
GpSim *gp_test_l40s_pool_host(const char *vgpu_type, guint per_domain);
void gp_test_l40s_done(void);

/* ---- Pools and claims -------------------------------------------------- */

/* Saves pool NAME of TYPE with MEMBERS (NULL-terminated, no host driver
 * recorded) and MDEV_TYPE (may be NULL), as the store keeps it. */
void gp_test_save_pool(const char *name, GpPoolType type, const char *const *members,
                       const char *mdev_type);

/* The claims file as it is now (an empty one if none). */
GpClaims *gp_test_load_claims(void);
/* How many claims the claims file holds. */
guint gp_test_claim_count(void);
/* Adds a claim on DEVICE to the claims file, as a running domain's. */
void gp_test_hold(const char *device, const char *pool, const char *dom_uuid,
                  const char *dom_name, const char *parent);

/* Domain NAME/UUID asking for DEVICE of POOL as ua-gpupool-0, with a
 * 64 GiB MMIO window: the request the hook reads from its definition. */
GpDomain *gp_test_domain(const char *uuid, const char *name, const char *pool,
                         const char *device);

/* Process PID (command COMM) of a process table of the sim's holds
 * ADDRESS's IOMMU group open through VFIO (/dev/vfio/GROUP), as a QEMU
 * that has not exited yet would; GPUPOOL_PROC_ROOT points at that table. */
void gp_test_vfio_user(GpSim *sim, const char *address, const char *pid, const char *comm);

G_END_DECLS
