// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hax_vm/vmNN and /dev/hax_vmNN/vcpuMM: one character device region,
 * minor = VM id for VMs, HAX_MAX_VMS + vm * HAX_MAX_VCPUS + vcpu for vCPUs.
 * Nodes are 0600, owned by the creating user; only the creating process may
 * open them, once at a time.
 *
 * Lifetime: open() finds a VM in hax_vms[] and takes its reference under
 * hax_vms_lock; the last put takes that lock too (kref_put_mutex()) and
 * unpublishes the VM before anything of it is freed, so open() sees a live
 * VM or none. Its id (node names, minors, debugfs directory) stays taken in
 * hax_vm_ids until the teardown is over. A vCPU is found and destroyed under
 * its VM's lock, which the destroy holds until its node is gone.
 */
#include <linux/cdev.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "haxm_linux.h"

#define HAX_NR_MINORS (HAX_MAX_VMS + HAX_MAX_VMS * HAX_MAX_VCPUS)

static dev_t hax_devt;
static struct cdev hax_cdev;
static struct class *hax_class;
static DEFINE_MUTEX(hax_vms_lock); /* hax_vms[], hax_vm_ids */
/* The VMs open() may find: from creation to the last put of their reference. */
static struct hax_vm_node *hax_vms[HAX_MAX_VMS];
/* The ids in use: from creation until the VM's teardown has finished. */
static DECLARE_BITMAP(hax_vm_ids, HAX_MAX_VMS);

const struct file_operations hax_vm_fops;
const struct file_operations hax_vcpu_fops;

struct hax_node_dev {
	struct device dev;
	kuid_t uid;
	kgid_t gid;
};

static char *hax_node_devnode(HAX_DEVNODE_CONST struct device *dev, umode_t *mode, kuid_t *uid,
			      kgid_t *gid)
{
	const struct hax_node_dev *nd = container_of(dev, const struct hax_node_dev, dev);

	/* devtmpfs asks for the name alone when it removes the node. */
	if (mode)
		*mode = 0600;
	if (uid)
		*uid = nd->uid;
	if (gid)
		*gid = nd->gid;
	return NULL;
}

static void hax_node_release(struct device *dev)
{
	kfree(container_of(dev, struct hax_node_dev, dev));
}

static const struct device_type hax_node_type = {
	.name = "hax_node",
	.devnode = hax_node_devnode,
	.release = hax_node_release,
};

/* A node named @name ('!' becomes '/') for minor @minor. */
static struct device *hax_node_add(unsigned int minor, void *data, const char *fmt, ...)
{
	struct hax_node_dev *nd = kzalloc(sizeof(*nd), GFP_KERNEL);
	char name[32];
	va_list ap;
	int r;

	if (!nd)
		return ERR_PTR(-ENOMEM);
	device_initialize(&nd->dev);
	nd->uid = current_fsuid();
	nd->gid = current_fsgid();
	nd->dev.devt = MKDEV(MAJOR(hax_devt), minor);
	nd->dev.class = hax_class;
	nd->dev.type = &hax_node_type;
	dev_set_drvdata(&nd->dev, data);
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	r = dev_set_name(&nd->dev, "%s", name);
	if (!r)
		r = device_add(&nd->dev);
	if (r) {
		put_device(&nd->dev);
		return ERR_PTR(r);
	}
	return &nd->dev;
}

static void hax_node_del(struct device *dev)
{
	device_unregister(dev);
}

static unsigned int vcpu_minor(u32 vm_id, u32 vcpu_id)
{
	return HAX_MAX_VMS + vm_id * HAX_MAX_VCPUS + vcpu_id;
}

/* ---- lifetime ------------------------------------------------------------ */

/* Called by the last put with hax_vms_lock held; drops it. */
static void hax_vm_node_release(struct kref *ref) __releases(&hax_vms_lock)
{
	struct hax_vm_node *vmn = container_of(ref, struct hax_vm_node, ref);
	u32 id = vmn->vm->id;
	int i;

	/* Unpublish first: no open() can find the VM from here on. */
	hax_vms[id] = NULL;
	mutex_unlock(&hax_vms_lock);

	hax_debugfs_vm_remove(vmn);
	for (i = 0; i < HAX_MAX_VCPUS; i++) {
		struct hax_vcpu_node *vn = vmn->vcpus[i];

		if (!vn)
			continue;
		hax_node_del(vn->dev);
		vcpu_destroy(vn->vcpu);
		kfree(vn);
	}
	hax_node_del(vmn->dev);
	mmdrop(vmn->vm->mm);
	vm_destroy(vmn->vm);
	kfree(vmn);
	/* The node names and the debugfs directory are gone: the id may be reused. */
	mutex_lock(&hax_vms_lock);
	clear_bit(id, hax_vm_ids);
	mutex_unlock(&hax_vms_lock);
	module_put(THIS_MODULE);
}

static void hax_vm_node_put(struct hax_vm_node *vmn)
{
	kref_put_mutex(&vmn->ref, hax_vm_node_release, &hax_vms_lock);
}

int hax_vm_node_create(u32 *out_id)
{
	struct hax_vm_node *vmn;
	int r, id;

	vmn = kzalloc(sizeof(*vmn), GFP_KERNEL_ACCOUNT);
	if (!vmn)
		return -ENOMEM;
	kref_init(&vmn->ref);
	mutex_init(&vmn->lock);
	mutex_lock(&hax_vms_lock);
	id = find_first_zero_bit(hax_vm_ids, HAX_MAX_VMS);
	if (id >= HAX_MAX_VMS) {
		r = -ENOSPC;
		goto fail;
	}
	r = vm_create(id, &vmn->vm);
	if (r)
		goto fail;
	vmn->dev = hax_node_add(id, vmn, "hax_vm!vm%02d", id);
	if (IS_ERR(vmn->dev)) {
		r = PTR_ERR(vmn->dev);
		vm_destroy(vmn->vm);
		goto fail;
	}
	/* Hold the mm_struct so that its address identifies the owner. */
	mmgrab(current->mm);
	hax_debugfs_vm_add(vmn);
	set_bit(id, hax_vm_ids);
	hax_vms[id] = vmn;
	/* A VM keeps the module loaded until it is gone. */
	__module_get(THIS_MODULE);
	mutex_unlock(&hax_vms_lock);
	*out_id = id;
	return 0;
fail:
	mutex_unlock(&hax_vms_lock);
	kfree(vmn);
	return r;
}

int hax_vm_node_put_id(u32 id)
{
	struct hax_vm_node *vmn;

	mutex_lock(&hax_vms_lock);
	vmn = id < HAX_MAX_VMS ? hax_vms[id] : NULL;
	mutex_unlock(&hax_vms_lock);
	if (!vmn)
		return -ENOENT;
	hax_vm_node_put(vmn);
	return 0;
}

int hax_vm_count(void)
{
	int n;

	mutex_lock(&hax_vms_lock);
	n = bitmap_weight(hax_vm_ids, HAX_MAX_VMS);
	mutex_unlock(&hax_vms_lock);
	return n;
}

/* ---- open: find the object behind a minor, take a reference ------------- */

static int hax_node_open(struct inode *inode, struct file *filp)
{
	unsigned int minor = iminor(inode);
	struct hax_vm_node *vmn;
	struct hax_vcpu_node *vn = NULL;
	u32 vm_id = minor < HAX_MAX_VMS ? minor : (minor - HAX_MAX_VMS) / HAX_MAX_VCPUS;
	int r = 0;

	if (minor >= HAX_NR_MINORS)
		return -ENXIO;
	mutex_lock(&hax_vms_lock);
	vmn = hax_vms[vm_id];
	if (!vmn) {
		mutex_unlock(&hax_vms_lock);
		return -ENXIO;
	}
	/*
	 * The last put unpublishes under hax_vms_lock before it frees, so a
	 * VM found here is alive; a count of 0 cannot be seen (kept as a guard).
	 */
	if (!kref_get_unless_zero(&vmn->ref))
		vmn = NULL;
	mutex_unlock(&hax_vms_lock);
	if (!vmn)
		return -ENXIO;

	if (vmn->vm->mm != current->mm) {
		r = -EPERM;
		goto fail;
	}
	if (minor < HAX_MAX_VMS) {
		if (atomic_cmpxchg(&vmn->opened, 0, 1)) {
			r = -EBUSY;
			goto fail;
		}
		filp->private_data = vmn;
		/* Same owner module: the reference open took carries over. */
		filp->f_op = &hax_vm_fops;
		return 0;
	}
	mutex_lock(&vmn->lock);
	vn = vmn->vcpus[(minor - HAX_MAX_VMS) % HAX_MAX_VCPUS];
	if (!vn)
		r = -ENXIO;
	else if (atomic_cmpxchg(&vn->opened, 0, 1))
		r = -EBUSY;
	mutex_unlock(&vmn->lock);
	if (r)
		goto fail;
	filp->private_data = vn;
	filp->f_op = &hax_vcpu_fops;
	return 0;
fail:
	hax_vm_node_put(vmn);
	return r;
}

static const struct file_operations hax_node_fops = {
	.owner = THIS_MODULE,
	.open = hax_node_open,
};

/* ---- VM ioctls ------------------------------------------------------------ */

static int hax_vm_release(struct inode *inode, struct file *filp)
{
	struct hax_vm_node *vmn = filp->private_data;

	atomic_set(&vmn->opened, 0);
	hax_vm_node_put(vmn);
	return 0;
}

static int hax_vcpu_node_create(struct hax_vm_node *vmn, u32 id)
{
	struct hax_vcpu_node *vn;
	u32 vm_id = vmn->vm->id;
	int r;

	if (id >= HAX_MAX_VCPUS)
		return -EINVAL;
	vn = kzalloc(sizeof(*vn), GFP_KERNEL_ACCOUNT);
	if (!vn)
		return -ENOMEM;
	vn->vmn = vmn;
	mutex_lock(&vmn->lock);
	r = vcpu_create(vmn->vm, id, &vn->vcpu);
	if (r)
		goto fail;
	vn->dev = hax_node_add(vcpu_minor(vm_id, id), vn, "hax_vm%02d!vcpu%02d", vm_id, id);
	if (IS_ERR(vn->dev)) {
		r = PTR_ERR(vn->dev);
		vcpu_destroy(vn->vcpu);
		goto fail;
	}
	hax_debugfs_vcpu_add(vmn, vn);
	vmn->vcpus[id] = vn;
	mutex_unlock(&vmn->lock);
	return 0;
fail:
	mutex_unlock(&vmn->lock);
	kfree(vn);
	return r;
}

static int hax_vcpu_node_destroy(struct hax_vm_node *vmn, u32 id)
{
	struct hax_vcpu_node *vn;
	int r = 0;

	if (id >= HAX_MAX_VCPUS)
		return -EINVAL;
	mutex_lock(&vmn->lock);
	vn = vmn->vcpus[id];
	if (!vn)
		r = -ENOENT;
	else if (atomic_read(&vn->opened))
		r = -EBUSY;
	if (r) {
		mutex_unlock(&vmn->lock);
		return r;
	}
	/*
	 * Under the lock to the end: a VCPU_CREATE of the same id in another
	 * thread must not add its node or debugfs directory while these exist.
	 */
	vmn->vcpus[id] = NULL;
	hax_debugfs_vcpu_remove(vn);
	hax_node_del(vn->dev);
	vcpu_destroy(vn->vcpu);
	mutex_unlock(&vmn->lock);
	kfree(vn);
	return 0;
}

static long hax_vm_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct hax_vm_node *vmn = filp->private_data;
	struct vm *vm = vmn->vm;
	void __user *argp = (void __user *)arg;
	union {
		u32 id;
		struct hax_alloc_ram_info alloc;
		struct hax_ramblock_info rb;
		struct hax_set_ram_info ram;
		struct hax_set_ram_info2 ram2;
		struct hax_protect_ram_info prot;
		struct hax_qemu_version qv;
	} u;

	if (vm->mm != current->mm)
		return -EPERM;
	switch (cmd) {
	case HAX_VM_IOCTL_VCPU_CREATE:
	case HAX_VM_IOCTL_VCPU_DESTROY_W:
	case HAX_VM_IOCTL_ALLOC_RAM:
	case HAX_VM_IOCTL_ADD_RAMBLOCK:
	case HAX_VM_IOCTL_SET_RAM:
	case HAX_VM_IOCTL_SET_RAM2:
	case HAX_VM_IOCTL_PROTECT_RAM:
	case HAX_VM_IOCTL_NOTIFY_QEMU_VERSION:
		/* The argument, read once: every check below sees this copy. */
		BUILD_BUG_ON(sizeof(u) < sizeof(struct hax_set_ram_info2));
		if (copy_from_user(&u, argp, _IOC_SIZE(cmd)))
			return -EFAULT;
		break;
	case HAX_VM_IOCTL_VCPU_DESTROY:
		break;
	default:
		return hax_vm_ext_ioctl(vm, cmd, argp);
	}
	switch (cmd) {
	case HAX_VM_IOCTL_VCPU_CREATE:
		return hax_vcpu_node_create(vmn, u.id);
	case HAX_VM_IOCTL_VCPU_DESTROY:
		if (copy_from_user(&u.id, argp, sizeof(u.id)))
			return -EFAULT;
		return hax_vcpu_node_destroy(vmn, u.id);
	case HAX_VM_IOCTL_VCPU_DESTROY_W:
		return hax_vcpu_node_destroy(vmn, u.id);
	case HAX_VM_IOCTL_ALLOC_RAM:
		if (u.alloc.pad)
			return -EINVAL;
		return vm_add_ramblock(vm, u.alloc.va, u.alloc.size);
	case HAX_VM_IOCTL_ADD_RAMBLOCK:
		if (u.rb.reserved)
			return -EINVAL;
		return vm_add_ramblock(vm, u.rb.start_va, u.rb.size);
	case HAX_VM_IOCTL_SET_RAM:
		/*
		 * pad[] is not checked: QEMU's hax_set_ram() leaves it
		 * uninitialized and HAXM never read it (docs/api.md).
		 */
		return vm_set_ram(vm, u.ram.pa_start, u.ram.size, u.ram.va, u.ram.flags);
	case HAX_VM_IOCTL_SET_RAM2:
		if (u.ram2.reserved1 || u.ram2.reserved2)
			return -EINVAL;
		return vm_set_ram(vm, u.ram2.pa_start, u.ram2.size, u.ram2.va, u.ram2.flags);
	case HAX_VM_IOCTL_PROTECT_RAM:
		if (u.prot.reserved)
			return -EINVAL;
		return vm_protect_ram(vm, u.prot.pa_start, u.prot.size, u.prot.flags);
	case HAX_VM_IOCTL_NOTIFY_QEMU_VERSION:
		if (u.qv.least_version > u.qv.cur_version)
			return -EINVAL;
		vm->qemu_version = u.qv.cur_version;
		return 0;
	}
	return -ENOTTY;
}

const struct file_operations hax_vm_fops = {
	.owner = THIS_MODULE,
	.release = hax_vm_release,
	.unlocked_ioctl = hax_vm_ioctl,
	.llseek = noop_llseek,
};

/* ---- vCPU ioctls ---------------------------------------------------------- */

static int hax_vcpu_release(struct inode *inode, struct file *filp)
{
	struct hax_vcpu_node *vn = filp->private_data;
	struct hax_vm_node *vmn = vn->vmn;

	atomic_set(&vn->opened, 0);
	hax_vm_node_put(vmn);
	return 0;
}

/* The tunnel page at offset 0, the I/O buffer at 4096 (SETUP_TUNNEL). */
static int hax_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct hax_vcpu_node *vn = filp->private_data;
	struct vcpu *v = vn->vcpu;
	struct os_page *pages[2] = { &v->tunnel_page, &v->iobuf_page };
	unsigned long i, n = vma_pages(vma);
	int r;

	/* As the ioctls: the tunnel goes only into the VM owner's address space. */
	if (v->vm->mm != current->mm)
		return -EPERM;
	if (vma->vm_pgoff + n > 2)
		return -EINVAL;
	hax_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY);
	for (i = 0; i < n; i++) {
		r = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
				   pages[vma->vm_pgoff + i]->handle);
		if (r)
			return r;
	}
	return 0;
}

static long hax_setup_tunnel(struct file *filp, struct vcpu *v, void __user *argp)
{
	struct hax_tunnel_info ti = { 0 };
	unsigned long va;

	va = vm_mmap(filp, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	if (IS_ERR_VALUE(va))
		return (long)va;
	ti.va = va;
	ti.io_va = va + PAGE_SIZE;
	ti.size = PAGE_SIZE;
	if (copy_to_user(argp, &ti, sizeof(ti))) {
		vm_munmap(va, 2 * PAGE_SIZE);
		return -EFAULT;
	}
	v->tunnel_mapped = true;
	return 0;
}

/*
 * SET_CPUID/GET_CPUID take the address of a pointer to a struct hax_cpuid
 * (HAXM dereferenced that pointer in the kernel; here it is copied).
 */
static long hax_vcpu_cpuid(struct vcpu *v, unsigned int cmd, void __user *argp)
{
	struct hax_cpuid __user *up;
	struct hax_cpuid hdr;
	struct hax_cpuid_entry *e;
	u32 n;
	long r;

	if (copy_from_user(&up, argp, sizeof(up)) || copy_from_user(&hdr, up, sizeof(hdr)))
		return -EFAULT;
	n = hdr.total;
	if (cmd == HAX_VCPU_IOCTL_SET_CPUID) {
		if (n > HAX_MAX_CPUID_ENTRIES)
			return -E2BIG;
		if (!n || hdr.pad)
			return -EINVAL;
		e = memdup_user(up->entries, n * sizeof(*e));
		if (IS_ERR(e))
			return PTR_ERR(e);
		r = vcpu_set_cpuid(v, e, n);
		kfree(e);
		return r;
	}
	e = kcalloc(HAX_MAX_CPUID_ENTRIES, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	/* total 0 asks for the count only. */
	r = vcpu_get_cpuid(v, e, &n);
	if (!hdr.total)
		r = 0;
	else if (!r && copy_to_user(up->entries, e, n * sizeof(*e)))
		r = -EFAULT;
	kfree(e);
	if ((!r || r == -E2BIG) && put_user(n, &up->total))
		r = -EFAULT;
	return r;
}

static long hax_vcpu_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct hax_vcpu_node *vn = filp->private_data;
	struct vcpu *v = vn->vcpu;
	void __user *argp = (void __user *)arg;
	vcpu_state_t *state = NULL;
	struct hax_msr_data *msrs = NULL;
	struct fx_layout *fx;
	hax_debug_t *dbg;
	long r;

	if (v->vm->mm != current->mm)
		return -EPERM;
	if (cmd == HAX_VCPU_IOCTL_SET_MSRS || cmd == HAX_VCPU_IOCTL_GET_MSRS) {
		/* Read once; the core sees only this copy. */
		msrs = memdup_user(argp, sizeof(*msrs));
		if (IS_ERR(msrs))
			return PTR_ERR(msrs);
	}
	switch (cmd) {
	case HAX_VCPU_SET_REGS:
	case HAX_VCPU_GET_REGS:
	case HAX_VCPU_IOCTL_SET_FPU:
	case HAX_VCPU_IOCTL_GET_FPU:
	case HAX_IOCTL_VCPU_DEBUG:
		/* One buffer for the argument, read once (if read at all). */
		BUILD_BUG_ON(sizeof(*state) < sizeof(*fx) || sizeof(*state) < sizeof(*dbg));
		state = kmalloc(sizeof(*state), GFP_KERNEL);
		if (!state)
			return -ENOMEM;
		if (cmd != HAX_VCPU_GET_REGS && cmd != HAX_VCPU_IOCTL_GET_FPU &&
		    copy_from_user(state, argp, _IOC_SIZE(cmd))) {
			kfree(state);
			return -EFAULT;
		}
	}
	fx = (struct fx_layout *)state;
	dbg = (hax_debug_t *)state;
	if (mutex_lock_killable(&v->lock)) {
		kfree(state);
		kfree(msrs);
		return -EINTR;
	}
	switch (cmd) {
	case HAX_VCPU_IOCTL_RUN:
		r = vcpu_run(v);
		break;
	case HAX_VCPU_IOCTL_SETUP_TUNNEL:
		r = hax_setup_tunnel(filp, v, argp);
		break;
	case HAX_VCPU_SET_REGS:
		r = vcpu_set_regs(v, state);
		break;
	case HAX_VCPU_GET_REGS:
		r = vcpu_get_regs(v, state);
		if (!r && copy_to_user(argp, state, sizeof(*state)))
			r = -EFAULT;
		break;
	case HAX_VCPU_IOCTL_SET_MSRS:
	case HAX_VCPU_IOCTL_GET_MSRS:
		r = vcpu_msrs(v, msrs, cmd == HAX_VCPU_IOCTL_SET_MSRS);
		if (!r && copy_to_user(argp, msrs, sizeof(*msrs)))
			r = -EFAULT;
		break;
	case HAX_VCPU_IOCTL_SET_CPUID:
	case HAX_VCPU_IOCTL_GET_CPUID:
		r = hax_vcpu_cpuid(v, cmd, argp);
		break;
	case HAX_VCPU_IOCTL_INTERRUPT: {
		u32 vector;

		r = get_user(vector, (u32 __user *)argp) ? -EFAULT : vcpu_interrupt(v, vector);
		break;
	}
	case HAX_VCPU_IOCTL_SET_FPU:
		r = vcpu_set_fpu(v, fx);
		break;
	case HAX_VCPU_IOCTL_GET_FPU:
		r = vcpu_get_fpu(v, fx);
		if (!r && copy_to_user(argp, fx, sizeof(*fx)))
			r = -EFAULT;
		break;
	case HAX_IOCTL_VCPU_DEBUG:
		r = vcpu_set_debug(v, dbg);
		break;
	default:
		r = hax_vcpu_ext_ioctl(v, cmd, argp);
	}
	mutex_unlock(&v->lock);
	kfree(state);
	kfree(msrs);
	return r;
}

const struct file_operations hax_vcpu_fops = {
	.owner = THIS_MODULE,
	.release = hax_vcpu_release,
	.unlocked_ioctl = hax_vcpu_ioctl,
	.mmap = hax_vcpu_mmap,
	.llseek = noop_llseek,
};

/* ---- setup ------------------------------------------------------------ */

int hax_nodes_init(void)
{
	int r = alloc_chrdev_region(&hax_devt, 0, HAX_NR_MINORS, "hax");

	if (r)
		return r;
	cdev_init(&hax_cdev, &hax_node_fops);
	r = cdev_add(&hax_cdev, hax_devt, HAX_NR_MINORS);
	if (r)
		goto fail_region;
	hax_class = hax_class_create("hax");
	if (IS_ERR(hax_class)) {
		r = PTR_ERR(hax_class);
		goto fail_cdev;
	}
	return 0;
fail_cdev:
	cdev_del(&hax_cdev);
fail_region:
	unregister_chrdev_region(hax_devt, HAX_NR_MINORS);
	return r;
}

void hax_nodes_exit(void)
{
	class_destroy(hax_class);
	cdev_del(&hax_cdev);
	unregister_chrdev_region(hax_devt, HAX_NR_MINORS);
}
