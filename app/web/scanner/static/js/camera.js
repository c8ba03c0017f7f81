// The camera: the rear one by default, a choice of every camera there is, the torch where the camera has one, and a
// clear message when there is none, it is refused or it stops.
const PROBLEMS = {
  NotAllowedError: ["没有使用摄像头的权限", "请在浏览器设置中允许本网站使用摄像头，然后点“打开摄像头”。"],
  SecurityError: ["没有使用摄像头的权限", "请在浏览器设置中允许本网站使用摄像头，然后点“打开摄像头”。"],
  NotFoundError: ["未找到摄像头", "请连接摄像头后点“打开摄像头”；也可以用扫码枪或手动输入。"],
  OverconstrainedError: ["未找到可用的摄像头", "请换一个摄像头后重试；也可以用扫码枪或手动输入。"],
  other: ["无法打开摄像头", "请检查摄像头是否被其他程序占用，或换一个摄像头后重试。"],
};

export class Camera {
  constructor(video, onProblem) {
    this.video = video;
    this.onProblem = onProblem;
    this.stream = null;
  }

  async start(deviceId) {
    this.stop();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.onProblem("此浏览器不能使用摄像头", "请改用系统自带浏览器或微信打开，或使用扫码枪、手动输入。");
      return false;
    }
    const video = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: { ideal: "environment" } };
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: false, video: { ...video, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (error) {
      const [title, advice] = PROBLEMS[error && error.name] || PROBLEMS.other;
      this.onProblem(title, advice);
      return false;
    }
    const track = this.stream.getVideoTracks()[0];
    track.addEventListener("ended", () => this.onProblem("摄像头已停止工作", "请检查摄像头连接，然后点“打开摄像头”。"));
    this.video.srcObject = this.stream;
    await this.video.play().catch(() => {});
    return true;
  }

  stop() {
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    this.stream = null;
  }

  async cameras() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.filter((device) => device.kind === "videoinput");
  }

  currentId() {
    const track = this.stream && this.stream.getVideoTracks()[0];
    return track ? track.getSettings().deviceId : null;
  }

  hasTorch() {
    const track = this.stream && this.stream.getVideoTracks()[0];
    return Boolean(track && track.getCapabilities && track.getCapabilities().torch);
  }

  async torch(on) {
    const track = this.stream.getVideoTracks()[0];
    await track.applyConstraints({ advanced: [{ torch: on }] });
  }
}
