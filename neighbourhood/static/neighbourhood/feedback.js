/* The feedback form's "use my location": the phone's position into the latitude and longitude fields. */
(function () {
  "use strict";
  const button = document.getElementById("locate");
  if (!button) return;
  button.addEventListener("click", function () {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (p) {
      document.getElementById("id_latitude").value = p.coords.latitude.toFixed(6);
      document.getElementById("id_longitude").value = p.coords.longitude.toFixed(6);
      document.getElementById("located").textContent = "✓";
    });
  });
})();
